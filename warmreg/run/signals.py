"""SIGTERM ends a run the way Ctrl-C does, so its MLflow runs are marked KILLED, not left RUNNING.

A batch scheduler, ``timeout`` or ``docker stop`` sends SIGTERM; Python's default is to die
at once, which leaves the parent, variant and training runs RUNNING for ever. Inside
:func:`terminate_as_interrupt` SIGTERM raises :class:`Terminated` (a KeyboardInterrupt),
the runner ends every open run as KILLED, and the CLI exits 143. A second SIGTERM during
that clean-up is ignored; SIGKILL still stops the process at once (the runs then stay
RUNNING until a re-run resumes them).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up runs to its end
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def end_status(exc: BaseException) -> str:
    """The MLflow status of a run that ``exc`` ended: KILLED when interrupted, else FAILED."""
    return "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
