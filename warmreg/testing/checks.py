"""Checks every plugin kind shares: loading through the registry, the Config, the docs.

Each check raises ``AssertionError`` with a message that names the plugin and what is
wrong, so it reads well inside pytest and outside it. The suites call these; a plugin's
own tests may call them directly too.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import re
import textwrap
import tokenize
from importlib import metadata
from typing import Any, Mapping

from warmreg import config as _config
from warmreg import registry
from warmreg.errors import ConfigError, PluginError


def load_plugin(kind: str, name: str) -> type:
    """The plugin class registered as ``name`` in ``kind``, loaded as a recipe loads it."""
    if not name:
        raise AssertionError("set the suite's plugin_name to the plugin's entry-point name")
    try:
        return registry.load(kind, name)
    except PluginError as exc:
        raise AssertionError(str(exc)) from exc


def check_registered(kind: str, name: str) -> registry.PluginInfo:
    """The plugin is declared in ``warmreg.<kind>`` by an installed distribution."""
    try:
        plugin = registry.info(kind, name)
    except PluginError as exc:
        raise AssertionError(f"{exc} (is the distribution installed, and is the entry point "
                             f"in [options.entry_points] {registry.group(kind)}?)") from exc
    assert plugin.dist not in ("", "?"), f"{kind} plugin {name!r} has no distribution metadata"
    return plugin


def build_config(cls: type, section: Mapping[str, Any] | None, name: str) -> Any:
    """``cls.Config`` built from a recipe section, strictly, as :mod:`warmreg.recipe` does."""
    try:
        return _config.build(cls.Config, dict(section or {}), f"suite config of {name!r}")
    except ConfigError as exc:
        raise AssertionError(f"the suite's config does not build {cls.__name__}.Config: "
                             f"{exc}") from exc


def check_config_class(cls: type, required: tuple[str, ...] = ()) -> None:
    """``cls.Config`` is a frozen dataclass with (at least) the ``required`` fields."""
    config_cls = getattr(cls, "Config", None)
    assert isinstance(config_cls, type) and dataclasses.is_dataclass(config_cls), (
        f"{cls.__name__}.Config must be a dataclass type, got {config_cls!r}")
    assert config_cls.__dataclass_params__.frozen, (
        f"{cls.__name__}.Config must be frozen: @dataclass(frozen=True)")
    names = {f.name for f in dataclasses.fields(config_cls)}
    missing = [n for n in required if n not in names]
    assert not missing, f"{cls.__name__}.Config lacks the field(s) {missing}"


def check_documented(cls: type, readme: str = "") -> None:
    """The plugin class has a docstring and every Config field is documented.

    A field is documented by a comment on its line (or a comment line right above it),
    by its name in ``Config``'s own docstring (an "Attributes:" section), or by its name
    in backticks in ``readme`` (the distribution's long description).
    """
    doc = inspect.getdoc(cls)
    assert doc and doc.strip(), f"{cls.__name__} needs a docstring saying what it does"
    missing = undocumented_fields(cls.Config, readme)
    assert not missing, (
        f"{cls.__name__}.Config field(s) {missing} are not documented: comment each field "
        "(`limit: int | None = None  # items to keep`), or name it in Config's docstring "
        "or in backticks in the distribution's README")


def undocumented_fields(config_cls: type, readme: str = "") -> list[str]:
    """Names of ``config_cls``'s fields documented nowhere (see :func:`check_documented`)."""
    names = [f.name for f in dataclasses.fields(config_cls)]
    commented, docstring = set(), ""
    for cls in config_cls.__mro__:  # a field is documented where it is declared
        if dataclasses.is_dataclass(cls):
            more, doc = _source_docs(cls)
            commented |= more
            docstring += "\n" + doc
    return [n for n in names
            if n not in commented
            and not re.search(rf"\b{re.escape(n)}\b", docstring)
            and f"`{n}`" not in readme]


def _source_docs(config_cls: type) -> tuple[set[str], str]:
    """(fields with a comment, the written docstring) read from the class's source."""
    try:
        source = textwrap.dedent(inspect.getsource(config_cls))
    except (OSError, TypeError):  # no source: only a written docstring can document
        doc = config_cls.__doc__ or ""
        generated = doc.startswith(f"{config_cls.__name__}(")  # dataclass's own signature doc
        return set(), "" if generated else doc
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef))
    comments = _comment_lines(source)
    commented = set()
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            lines = range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
            if any(line in comments for line in lines) or comments.get(stmt.lineno - 1):
                commented.add(stmt.target.id)
    return commented, ast.get_docstring(node) or ""


def _comment_lines(source: str) -> dict[int, bool]:
    """Line number -> whether the comment on that line is the whole line."""
    lines = source.splitlines()
    found = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            found[row] = not lines[row - 1][:col].strip()
    return found


def readme_of(kind: str, name: str) -> str:
    """The long description (README) of the distribution that registers a plugin."""
    try:
        dist = metadata.distribution(registry.info(kind, name).dist)
    except (PluginError, metadata.PackageNotFoundError):
        return ""
    return str(dist.metadata.json.get("description", ""))
