"""File locks: one run at a time in a workdir, and one process creating a SQLite MLflow store.

A workdir holds a recipe's store, its training jobs and its report, and the MLflow parent
run is found by the recipe's fingerprint (which names the workdir). So one lock on the
workdir gives one trainer per job directory, one parent and one child run per key and no
generation done twice; a second run of the recipe exits 2 naming the process that holds
it (pid, host, since when, command), or with ``wait`` queues behind it and then reuses
what the first one made.

MLflow creates (or upgrades) a SQLite store the first time a process opens it; two
processes doing so at once collide ("duplicate column name"), so opening one happens
under a lock file beside the database.

Locks are POSIX ``flock``s: the kernel drops them when their process exits, even on
``kill -9``, so a lock never outlives its holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

from warmreg.errors import WarmregError

WORKDIR_LOCK = "run.lock"  # in the workdir
HOLDER_PATIENCE_S = 5.0  # how long a second run waits for the holder to write who it is


class WorkdirBusy(WarmregError):
    """Another process is running in the workdir."""

    exit_code = 2


@contextlib.contextmanager
def workdir(path: Path, wait: bool = False, echo: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the workdir's lock for the block.

    Args:
        path: the workdir (it must exist).
        wait: block until the holder finishes, instead of raising.
        echo: where the waiting message goes.

    Raises:
        WorkdirBusy: another process holds it and ``wait`` is False.
    """
    with open(path / WORKDIR_LOCK, "a+", encoding="utf-8") as handle:
        if not _try_lock(handle):
            holder = _holder(handle)
            if not wait:
                raise WorkdirBusy(f"workdir {path} is in use by {holder}; wait for it to finish, "
                                  "run again with --wait to queue behind it, or choose another "
                                  "workdir (--set workdir=...)")
            echo(f"warmreg: workdir {path} is in use by {holder}; waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        _write_holder(handle)
        try:
            yield
        finally:
            handle.truncate(0)  # nobody holds it: a reader never names a finished process
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def sqlite_store(tracking_uri: str) -> Iterator[None]:
    """Hold ``<database>.lock`` while a SQLite tracking store is opened (other URIs: no lock)."""
    if not tracking_uri.startswith("sqlite:///"):
        yield
        return
    database = Path(tracking_uri[len("sqlite:///"):])
    if not database.parent.is_dir():  # MLflow reports the missing directory itself
        yield
        return
    with open(database.with_name(database.name + ".lock"), "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(handle) -> None:
    handle.seek(0)
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                             "command": _shorten(" ".join(sys.argv), 160)}))
    handle.flush()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _holder(handle, patience: float = HOLDER_PATIENCE_S) -> str:
    """Who holds the lock, as its holder wrote it (it writes just after taking the lock, so
    an empty file is re-read for up to ``patience`` seconds)."""
    deadline = time.monotonic() + patience
    while True:
        handle.seek(0)
        try:
            info = json.loads(handle.read())
            return (f"warmreg pid {info['pid']} on host {info['host']} (since {info['since']}: "
                    f"{info['command']})")
        except (ValueError, KeyError, TypeError):
            if time.monotonic() >= deadline:
                return "another process (it has not written its pid yet)"
            time.sleep(0.05)
