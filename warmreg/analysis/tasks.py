"""What the analysis needs to know about a task, asked of the task itself.

A results table from warmreg's runner carries ``category`` and ``refusal_is_correct`` on
every row. A table made elsewhere may not; then each task's installed plugin says
(:class:`warmreg.api.Task` ``category`` and ``refusal_is_correct``). A task that is not
installed (or fails to load) is a reliability task where refusing is not correct; the
table's own columns override either.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

from warmreg import registry
from warmreg.api import RELIABILITY
from warmreg.errors import PluginError


@dataclass(frozen=True)
class TaskTraits:
    """How the analysis treats one task."""

    category: str = RELIABILITY  # "reliability" or "capability"
    refusal_is_correct: bool = False  # a refusal counts as correct on every item


@functools.lru_cache(maxsize=None)
def task_traits(name: str) -> TaskTraits:
    """The traits the installed task plugin ``name`` declares (defaults when none is)."""
    try:
        cls = registry.load("tasks", name)
    except PluginError:
        return TaskTraits()
    return TaskTraits(category=getattr(cls, "category", RELIABILITY),
                      refusal_is_correct=bool(getattr(cls, "refusal_is_correct", False)))


def traits_of(names: Iterable[str]) -> dict[str, TaskTraits]:
    """:func:`task_traits` of every distinct name."""
    return {name: task_traits(str(name)) for name in dict.fromkeys(names)}
