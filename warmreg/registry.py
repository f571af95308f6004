"""Plugin discovery through ``importlib.metadata`` entry points.

Discovery reads package metadata only; a plugin's module is imported by :func:`load`
when a recipe uses it. Built-ins are registered in warmreg's own ``setup.cfg`` through
the same groups a third party uses.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from warmreg.config import build as build_config
from warmreg.errors import ConfigError, PluginError, did_you_mean

KINDS = ("trainers", "tasks", "contexts", "judges", "backends")


def group(kind: str) -> str:
    """Entry-point group of a plugin kind ("tasks" -> "warmreg.tasks")."""
    if kind not in KINDS:
        raise ValueError(f"unknown plugin kind {kind!r}; kinds: {KINDS}")
    return f"warmreg.{kind}"


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin, as its distribution's metadata declares it."""

    kind: str
    name: str
    target: str  # "module:attr"
    dist: str
    version: str

    @property
    def source(self) -> str:
        return f"{self.dist} {self.version}"


_snapshot: dict[str, tuple[dict, dict]] | None = None  # set inside cached()


@contextlib.contextmanager
def cached():
    """Read each kind's entry points once inside the block (e.g. one recipe's validation).

    A metadata scan costs ~10 ms; validating a recipe asks for dozens of plugins.
    Outside the block every call rescans, so plugins installed meanwhile are seen.
    """
    global _snapshot
    outer = _snapshot
    _snapshot = {} if outer is None else outer
    try:
        yield
    finally:
        _snapshot = outer


def discover(kind: str) -> dict[str, PluginInfo]:
    """All plugins of a kind by name, without importing any of them.

    A name registered by two distributions is kept with both in :func:`conflicts`; using
    it is an error (:func:`info`). The same distribution seen twice on the path (an
    editable install beside a built one) is one registration.
    """
    return _discover(kind)[0]


def conflicts(kind: str) -> dict[str, tuple[PluginInfo, ...]]:
    """Names of ``kind`` that more than one distribution registers, with every claimant."""
    return _discover(kind)[1]


def _discover(kind: str) -> tuple[dict[str, PluginInfo], dict[str, tuple[PluginInfo, ...]]]:
    if _snapshot is not None and kind in _snapshot:
        found, clashes = _snapshot[kind]
        return dict(found), dict(clashes)
    found: dict[str, PluginInfo] = {}
    clashes: dict[str, tuple[PluginInfo, ...]] = {}
    for ep in metadata.entry_points(group=group(kind)):
        dist = getattr(ep, "dist", None)
        name = dist.metadata["Name"] if dist is not None else "?"
        version = dist.version if dist is not None else "?"
        plugin = PluginInfo(kind, ep.name, ep.value, name, version)
        first = found.setdefault(ep.name, plugin)
        if _canonical(first.dist) != _canonical(plugin.dist):
            clashes[ep.name] = (*clashes.get(ep.name, (first,)), plugin)
    if _snapshot is not None:
        _snapshot[kind] = (dict(found), dict(clashes))
    return found, clashes


def _canonical(dist: str) -> str:
    return dist.lower().replace("_", "-").replace(".", "-")


def info(kind: str, name: str) -> PluginInfo:
    """The :class:`PluginInfo` of one plugin; unknown names get a "did you mean"."""
    plugins, clashes = _discover(kind)
    if name in clashes:
        claimants = " and ".join(f"{p.dist} {p.version} ({p.target})" for p in clashes[name])
        raise PluginError(f"{kind[:-1]} plugin {name!r} is registered by more than one "
                          f"distribution: {claimants}; uninstall one of them")
    if name not in plugins:
        known = ", ".join(sorted(plugins)) or "none installed"
        raise PluginError(f"unknown {kind[:-1]} plugin {name!r}{did_you_mean(name, plugins)}; "
                          f"installed: {known}")
    return plugins[name]


@functools.lru_cache(maxsize=None)
def _load_target(target: str):
    module_name, _, attr = target.partition(":")
    import importlib

    obj = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


def load(kind: str, name: str):
    """Import and return the plugin class registered as ``name`` in ``kind``.

    Raises:
        PluginError: the name is unknown, or importing it failed (the message names the
            distribution and version that registered it and the underlying error).
    """
    plugin = info(kind, name)
    try:
        return _load_target(plugin.target)
    except Exception as exc:  # any import-time failure of third-party code
        raise PluginError(
            f"{kind[:-1]} plugin {name!r} from {plugin.source} failed to load "
            f"({plugin.target}): {type(exc).__name__}: {exc}"
        ) from exc


@dataclass(frozen=True)
class Plugin:
    """A plugin chosen by a recipe: its name, its validated config and its source."""

    kind: str
    name: str
    config: Any
    info: PluginInfo

    def instantiate(self):
        """The plugin object, built from its validated config."""
        return load(self.kind, self.name)(self.config)


def build(kind: str, name: str, section: Any, where: str, base_dir: Path | None = None) -> Plugin:
    """Find, load and configure one plugin: the single way a plugin section is validated.

    The recipe builds every section through it, and so do plugins that contain plugins (the
    ``llm`` judge's backend, a jury's jurors), so ``warmreg validate`` checks them all.

    Args:
        kind: the plugin kind ("judges", ...).
        name: the entry-point name.
        section: the recipe mapping that becomes the plugin's ``Config``.
        where: "file: key.path" of the section, for errors.
        base_dir: directory relative file fields are resolved against.

    Raises:
        ConfigError: unknown or broken plugin (naming ``where``), or a bad config key.
    """
    try:
        plugin_info = info(kind, name)
        cls = load(kind, name)
    except PluginError as exc:
        raise ConfigError(where, str(exc)) from None
    return Plugin(kind, name, build_config(cls.Config, section, where, base_dir), plugin_info)


def check(kind: str, name: str) -> str | None:
    """Try to load a plugin; return the error message, or None when it loads."""
    try:
        load(kind, name)
    except PluginError as exc:
        return str(exc)
    return None


def inventory(import_check: bool = True) -> list[dict]:
    """Every plugin of every kind as a row: kind, name, target, dist, version, error."""
    rows = []
    for kind in KINDS:
        clashes = conflicts(kind)
        for name, plugin in sorted(discover(kind).items()):
            error = check(kind, name) if import_check or name in clashes else None
            rows.append({"kind": kind, "name": name, "target": plugin.target,
                         "dist": plugin.dist, "version": plugin.version, "error": error})
    return rows
