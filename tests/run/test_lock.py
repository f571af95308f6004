"""Two runs of one recipe at once: one holds the workdir, the other exits 2 naming it or waits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from warmreg.run import lock

SMOKE = Path(__file__).parent.parent.parent / "recipes" / "smoke.yaml"


def _hold(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that holds ``path``'s workdir lock for ``seconds``."""
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from warmreg.run import lock
        with lock.workdir(Path({str(path)!r})):
            print("held", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_workdir_is_refused_naming_its_holder(tmp_path):
    holder = _hold(tmp_path, 30)
    try:
        with pytest.raises(lock.WorkdirBusy) as excinfo:
            with lock.workdir(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    message = str(excinfo.value)
    assert f"pid {holder.pid} on host {socket.gethostname()}" in message and "--wait" in message
    assert excinfo.value.exit_code == 2
    with lock.workdir(tmp_path):  # the kernel released it with its process (even on kill -9)
        assert json.loads((tmp_path / lock.WORKDIR_LOCK).read_text())["pid"] == os.getpid()
    assert (tmp_path / lock.WORKDIR_LOCK).read_text() == ""  # nobody holds it now


def test_a_holder_that_has_not_written_yet_is_still_named(tmp_path):
    """The holder writes who it is just after taking the lock; a second run that reads the
    file in between waits for the name instead of reporting an unknown process (CI once
    caught a run in that gap)."""
    import fcntl
    import threading

    handle = open(tmp_path / lock.WORKDIR_LOCK, "a+", encoding="utf-8")
    fcntl.flock(handle, fcntl.LOCK_EX)  # held, nothing written yet
    writer = threading.Timer(0.3, lock._write_holder, args=(handle,))
    writer.start()
    try:
        with pytest.raises(lock.WorkdirBusy, match=f"pid {os.getpid()} on host"):
            with lock.workdir(tmp_path):
                pass
    finally:
        writer.join()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def test_wait_queues_behind_the_holder(tmp_path):
    holder = _hold(tmp_path, 1.5)
    said = []
    start = time.monotonic()
    with lock.workdir(tmp_path, wait=True, echo=said.append):
        waited = time.monotonic() - start
    holder.wait()
    assert waited >= 1.0 and f"pid {holder.pid}" in said[0] and "waiting" in said[0]


def _run(workdir: Path, env: dict, *extra: str) -> subprocess.Popen:
    overrides = [f"workdir={workdir}", "experiment=two-at-once",
                 "personas={warm: {trainer: sft-warm, limit: 8, per_device_batch_size: 4, "
                 "effective_batch_size: 4, learning_rate: 1.0e-3, epochs: 1, "
                 "checkpoint_epochs: [1], evaluate_epoch: 1, max_length: 128}}",
                 "tasks={triviaqa: {limit: 2}}", "controls={}", "contexts=[none]",
                 "beliefs=[none]", "warmth.enabled=false"]
    return subprocess.Popen([sys.executable, "-m", "warmreg", "run", str(SMOKE), *extra,
                             *sum((["--set", o] for o in overrides), [])],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _holder_pid(workdir: Path, deadline: float) -> int:
    while time.monotonic() < deadline:
        try:
            return json.loads((workdir / lock.WORKDIR_LOCK).read_text())["pid"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
    raise AssertionError("no process took the workdir")


def test_two_runs_of_one_recipe_at_once_on_a_fresh_store(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    from warmreg.cache.store import Store

    workdir, uri = tmp_path / "work", f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    pair = [_run(workdir, env), _run(workdir, env)]  # at the same instant, nothing exists yet
    winner = _holder_pid(workdir, time.monotonic() + 120)
    waiter = _run(workdir, env, "--wait")  # queues behind the winner
    errs = {p.pid: p.communicate(timeout=300)[1] for p in (*pair, waiter)}

    codes = {p.pid: p.returncode for p in (*pair, waiter)}
    [loser] = [p.pid for p in pair if p.pid != winner]
    assert (codes[winner], codes[loser], codes[waiter.pid]) == (0, 2, 0), errs
    assert f"is in use by warmreg pid {winner} on host {socket.gethostname()}" in errs[loser]
    assert "waiting for it to finish" in errs[waiter.pid] and f"pid {winner}" in errs[waiter.pid]
    assert not any("Traceback" in e for e in errs.values()), errs

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    client = MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("two-at-once").experiment_id])
    parents = [r for r in runs if r.data.tags.get("warmreg.run_kind") == "recipe"]
    assert len(parents) == 2  # the winner's, then the waiter's own execution
    for parent in parents:
        assert parent.info.status == "FINISHED"
        children = sorted((r.data.tags["warmreg.run_kind"], r.data.tags["warmreg.variant"])
                          for r in runs
                          if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id)
        assert children == [("training", "warm"), ("variant", "original"), ("variant", "warm")]
    trained = [r for r in runs if r.data.tags.get("warmreg.run_kind") == "training"]
    assert sorted("loss" in r.data.metrics for r in trained) == [False, True]  # one trainer
    with Store(workdir / "store.sqlite") as store:
        assert store.counts()["generations"] == 2 * 2  # 2 items x 2 variants, generated once
