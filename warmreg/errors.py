"""Errors warmreg reports to the user without a traceback."""

from __future__ import annotations

import difflib
from typing import Iterable


class WarmregError(Exception):
    """A problem the user can fix; the CLI prints it and exits with ``exit_code``."""

    exit_code = 1


class ConfigError(WarmregError):
    """Bad recipe or plugin configuration. ``where`` is "file: key.path"."""

    exit_code = 2

    def __init__(self, where: str, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class PluginError(WarmregError):
    """A plugin is unknown or failed to load."""

    exit_code = 2


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM during a run (:mod:`warmreg.run.signals`); exit 143."""

    exit_code = 143


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f' (did you mean "{close[0]}"?)' if close else ""
