"""Checks of a recipe that no single plugin section can make on its own.

:mod:`warmreg.config` checks each section against its dataclass (keys, types, ranges).
What is left needs the recipe as a whole, and runs in two places of
:func:`warmreg.recipe.validate`:

- :func:`before` on the parsed mapping: sections that must be mappings are mappings,
  ``tasks`` is not empty, the seed is in range, and no model, context or belief is listed
  twice (a duplicate would be generated twice and break the analysis). It also keeps
  validation linear: duplicates are found with a set before each entry is checked.
- :func:`after` on the built :class:`~warmreg.recipe.Recipe`: references resolve (the
  analysis reference is a variant, no task is both a task and a control) and task
  sources that name a file exist.

Every failure is a :class:`ConfigError` naming the file and the dotted key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from warmreg.config import check_bounds
from warmreg.errors import ConfigError, did_you_mean

MAPPINGS = ("personas", "backend", "generation", "tasks", "controls", "judges", "prompt",
            "analysis", "warmth", "tracking", "context_config")
SEED = {"min": 0, "max": 2 ** 32 - 1}  # numpy's and torch's seeds are unsigned 32-bit
DATA_SUFFIXES = (".json", ".jsonl", ".parquet", ".csv")


def before(raw: Mapping[str, Any], where: str) -> None:
    """Shape checks on the parsed recipe, before any plugin section is built."""
    for key in MAPPINGS:
        value = raw.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise ConfigError(f"{where}: {key}", f"expected a mapping, got {type(value).__name__}")
    if "tasks" in raw and not raw["tasks"]:
        raise ConfigError(f"{where}: tasks", "name at least one task, e.g. {triviaqa: {limit: 50}}")
    seed = raw.get("seed", 0)
    if isinstance(seed, int) and not isinstance(seed, bool):
        check_bounds(seed, SEED, f"{where}: seed")
    _unique(raw.get("models"), f"{where}: models", lambda m: m.get("name") if isinstance(m, Mapping) else None,
            ".name")
    _unique(raw.get("contexts"), f"{where}: contexts", lambda c: c)
    _unique(raw.get("beliefs"), f"{where}: beliefs", lambda b: b)


def _unique(entries: Any, where: str, key, suffix: str = "") -> None:
    """Reject an entry listed twice (by ``key(entry)``); O(n) with a dict."""
    if not isinstance(entries, list):
        return
    first: dict[Any, int] = {}
    for i, entry in enumerate(entries):
        value = key(entry)
        if not isinstance(value, str):
            continue
        if value in first:
            raise ConfigError(f"{where}[{i}]{suffix}", f"duplicate {value!r} (also at "
                              f"[{first[value]}]); list each once")
        first[value] = i


def after(recipe: Any) -> None:
    """Cross-section checks on a built recipe."""
    where = str(recipe.path)
    reference = recipe.analysis.reference
    if reference not in recipe.persona_names:
        raise ConfigError(f"{where}: analysis.reference", f"{reference!r} is not a variant of this "
                          f"recipe{did_you_mean(reference, recipe.persona_names)}; variants: "
                          f"{', '.join(recipe.persona_names)}")
    controls = {t.name for t in recipe.controls}
    for task in recipe.tasks:
        if task.name in controls:
            raise ConfigError(f"{where}: controls.{task.name}", "is also under tasks; "
                              "list a task once, as a reliability task or as a control")
    for section, plugins in (("tasks", recipe.tasks), ("controls", recipe.controls)):
        for task in plugins:
            _check_source(getattr(task.config, "source", None), f"{where}: {section}.{task.name}.source")


def _check_source(source: Any, where: str) -> None:
    """A source that is written as a path (a separator or a data-file suffix) must exist.

    Bare names ("bundled", "hub", a data package) are the task's to resolve at load time.
    """
    if not isinstance(source, str):
        return
    looks_like_path = "/" in source or "\\" in source or source.lower().endswith(DATA_SUFFIXES)
    if looks_like_path and not Path(source).expanduser().is_file():
        raise ConfigError(where, f"file not found: {source} (relative paths are read from "
                          f"the working directory, {Path.cwd()})")
