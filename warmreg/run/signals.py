"""SIGTERM ends a run the way Ctrl-C does, so its MLflow runs are marked KILLED, not left RUNNING.

A batch scheduler, ``timeout`` or ``docker stop`` sends SIGTERM; Python's default is to die
at once, which leaves the parent, variant and training runs RUNNING for ever. Inside
:func:`terminate_as_interrupt` SIGTERM raises :class:`Terminated` (a KeyboardInterrupt),
the runner ends every open run as KILLED, and the CLI exits 143. A second SIGTERM during
that clean-up is ignored; SIGKILL still stops the process at once (the runs then stay
RUNNING until a re-run resumes them).

Within :func:`uninterrupted` (each call to the tracking store) SIGTERM and Ctrl-C wait
until the call returns, so no store write is cut in half; a second Ctrl-C meanwhile
interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

from warmreg.errors import Terminated


_depth = 0  # uninterrupted blocks the main thread is in
_pending: BaseException | None = None  # an interrupt held until they end


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only; else a no-op)."""
    if not _main_thread():
        yield
        return

    def on_term(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up runs to its end
        _raise_or_hold(Terminated())

    def on_int(signum, frame):
        _raise_or_hold(KeyboardInterrupt())

    previous = signal.signal(signal.SIGTERM, on_term), signal.signal(signal.SIGINT, on_int)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold an interrupt that arrives during the block until it ends."""
    global _depth, _pending
    if not _main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending is not None:
            held, _pending = _pending, None
            raise held


def end_status(exc: BaseException) -> str:
    """The MLflow status of a run that ``exc`` ended: KILLED when interrupted, else FAILED."""
    return "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"


def _raise_or_hold(exc: BaseException) -> None:
    global _pending
    if _depth and _pending is None:
        _pending = exc
        return
    _pending = None  # a second interrupt: delivered now, in place of the held one
    raise exc


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
