"""Build a plugin's frozen ``Config`` dataclass from a recipe section, strictly.

Unknown keys, wrong types and missing required keys are :class:`ConfigError`s that
name the file and the key path. A field with ``metadata={"file": True}`` must name an
existing file or directory (resolved relative to the recipe's directory).

Numbers are finite everywhere (NaN and infinities are rejected unless a field's metadata
says ``"finite": False``) and ints fit in 64 bits. A field's metadata may bound it — see
:func:`check_bounds` — so a range is declared once, next to the field's comment::

    top_p: float = field(default=1.0, metadata={"min": 0, "min_exclusive": True, "max": 1})
"""

from __future__ import annotations

import collections.abc
import contextlib
import contextvars
import dataclasses
import functools
import math
import re
import types
import typing
from pathlib import Path
from typing import Any, Mapping

from warmreg.errors import ConfigError, did_you_mean


def build(cls: type, section: Mapping[str, Any] | None, where: str, base_dir: Path | None = None):
    """Return ``cls(**section)`` after checking keys and types.

    Args:
        cls: a dataclass type.
        section: the recipe mapping (None means empty).
        where: "file: key.path" prefix for error messages.
        base_dir: directory that relative file fields are resolved against.
    """
    section = {} if section is None else section
    if not isinstance(section, Mapping):
        raise ConfigError(where, f"expected a mapping, got {type(section).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = _hints(cls)
    values = {}
    for key, value in section.items():
        if key not in fields:
            raise ConfigError(f"{where}.{key}", f"unknown key{did_you_mean(str(key), fields)}; "
                              f"allowed: {', '.join(sorted(fields))}")
        meta = fields[key].metadata
        value = check_type(value, hints[key], f"{where}.{key}", finite=meta.get("finite", True))
        check_bounds(value, meta, f"{where}.{key}")
        if meta.get("file") and value is not None:
            value = _resolve_file(value, f"{where}.{key}", base_dir)
        values[key] = value
    missing = [n for n, f in fields.items() if n not in values and _required(f)]
    if missing:
        raise ConfigError(f"{where}.{missing[0]}", "required key is missing")
    try:
        return cls(**values)
    except ConfigError as exc:  # a nested section (a plugin inside a plugin) names its key
        raise ConfigError(f"{where}.{exc.where}" if exc.where else where, exc.message) from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(where, str(exc)) from None


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    """Resolved type hints of a dataclass (string annotations compile once per class)."""
    return typing.get_type_hints(cls)


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _resolve_file(value: str, where: str, base_dir: Path | None) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists():
        raise ConfigError(where, f"file not found: {value}")
    return str(path)


_BOUNDS = (("min", lambda v, b: v >= b, ">="), ("max", lambda v, b: v <= b, "<="))
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_bounds(value: Any, meta: Mapping[str, Any], where: str) -> None:
    """Check a typed value against its field's metadata; numbers inside lists too.

    Keys: ``min``/``max`` (inclusive unless ``min_exclusive``/``max_exclusive`` is true),
    ``pattern`` (a regex a string must match in full), ``url`` (an http(s) URL with a
    host), ``device`` (auto, cpu, mps, cuda or cuda:N). None and other types pass.
    """
    if isinstance(value, tuple):
        for i, v in enumerate(value):
            check_bounds(v, meta, f"{where}[{i}]")
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for key, ok, op in _BOUNDS:
            bound = meta.get(key)
            if bound is None:
                continue
            exclusive = meta.get(f"{key}_exclusive", False)
            if not ok(value, bound) or (exclusive and value == bound):
                op = op[0] if exclusive else op
                raise ConfigError(where, f"must be {op} {bound}, got {value!r}")
    elif isinstance(value, str):
        if meta.get("pattern") and not re.fullmatch(meta["pattern"], value):
            raise ConfigError(where, f"{value!r} does not match {meta['pattern']}")
        if meta.get("device") and not _DEVICE.fullmatch(value):
            raise ConfigError(where, f"unknown device {value!r}; use auto, cpu, mps, cuda or cuda:N")
        if meta.get("url") and not is_http_url(value):
            raise ConfigError(where, f"{value!r} is not an http(s) URL such as http://127.0.0.1:8000/v1")


def is_http_url(value: str) -> bool:
    """True for ``http://host[:port][/path]`` and https, with a valid port."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def check_type(value: Any, hint: Any, where: str, finite: bool = True) -> Any:
    """Check ``value`` against a type hint; return it (tuples for sequences, floats for ints).

    Floats must be finite unless ``finite`` is false; ints must fit in 64 bits.
    """
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            try:
                return check_type(value, arg, where, finite)
            except ConfigError:
                continue
        raise ConfigError(where, f"expected {_name(hint)}, got {_show(value)}")
    if hint is type(None):
        if value is None:
            return None
        raise ConfigError(where, f"expected null, got {_show(value)}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise ConfigError(where, f"expected one of {list(args)}, got {_show(value)}"
                          f"{did_you_mean(str(value), map(str, args))}")
    if origin in (tuple, list, collections.abc.Sequence) or hint in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(where, f"expected a list, got {_show(value)}")
        inner = args[0] if args else Any
        return tuple(check_type(v, inner, f"{where}[{i}]", finite) for i, v in enumerate(value))
    if origin in (dict, collections.abc.Mapping) or hint in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(where, f"expected a mapping, got {_show(value)}")
        vt = args[1] if len(args) == 2 else Any
        return {k: check_type(v, vt, f"{where}.{k}", finite) for k, v in value.items()}
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _finite(value, where, finite)
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) >= 2 ** 63:
                raise ConfigError(where, f"{value:.3g} is out of range (64-bit integers only)")
            return value
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif isinstance(hint, type) and isinstance(value, hint):
        return value
    raise ConfigError(where, f"expected {_name(hint)}, got {_show(value)}")


def _finite(value: int | float, where: str, finite: bool) -> float:
    try:
        number = float(value)
    except OverflowError:
        raise ConfigError(where, f"{value:.3g} is too large for a float") from None
    if finite and not math.isfinite(number):
        raise ConfigError(where, f"must be a finite number, got {number}")
    return number


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def as_dict(config: Any) -> dict:
    """The resolved config with defaults, for the record."""
    return dataclasses.asdict(config)


_ENGINE_CHECKS = contextvars.ContextVar("warmreg_engine_checks", default=True)


def engine_checks() -> bool:
    """Whether a Config should check that this machine has its engine (vLLM, a server
    command). On by default; off inside :func:`without_engine_checks`."""
    return _ENGINE_CHECKS.get()


@contextlib.contextmanager
def without_engine_checks():
    """Build configs without checking for engines: ``warmreg plan`` and
    ``warmreg validate --no-engines`` check a recipe on a machine that will not run it."""
    token = _ENGINE_CHECKS.set(False)
    try:
        yield
    finally:
        _ENGINE_CHECKS.reset(token)
