"""The runner's life cycle on an OpenAI-compatible stand-in: terminal statuses, resume, retries.

The recipe is recipes/smoke.yaml served by the fake server on 127.0.0.1 (two variants:
the original and a system-prompt persona; no training, no warmth check), so each run
takes a second or two.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.backends.fake_openai import FakeServer
from warmreg import recipe
from warmreg.backends.openai import EndpointError
from warmreg.run import rows, runner

SMOKE = Path(__file__).parent.parent.parent / "recipes" / "smoke.yaml"


def _load(tmp_path: Path, url: str, experiment: str):
    return recipe.load(SMOKE, (
        f"workdir={tmp_path}", f"experiment={experiment}",
        "models=[{name: served, path: gen, family: llama, size: 1B}]",
        "personas={prompt-warm: {trainer: system-prompt, persona: warm}}",
        f"backend={{name: openai, base_url: '{url}', concurrency: 1, max_retries: 2, "
        "backoff_s: 0.01, fail_after_errors: 3}",
        "tasks={triviaqa: {limit: 4}}", "controls={}", "contexts=[none]", "beliefs=[none]",
        "warmth.enabled=false"))


def _runs(client, experiment: str) -> dict[str, object]:
    """Every run of the experiment by kind/variant ("recipe", "variant/original", ...)."""
    exp = client.get_experiment_by_name(experiment)
    out = {}
    for run in client.search_runs([exp.experiment_id]):
        tags = run.data.tags
        variant = tags.get("warmreg.variant")
        key = tags["warmreg.run_kind"] + (f"/{variant}" if variant else "")
        assert key not in out, f"two {key} runs"
        out[key] = run
    return out


def _status(client, experiment: str) -> dict[str, str]:
    return {k: r.info.status for k, r in _runs(client, experiment).items()}


def test_every_run_ends_and_a_resume_logs_each_point_once(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    experiment, client = f"lifecycle-{uuid.uuid4().hex[:8]}", MlflowClient()
    with FakeServer() as server:  # one server: its address is part of the recipe's fingerprint
        _fail_then_interrupt_then_resume(server, _load(tmp_path, server.url, experiment),
                                         client, experiment, monkeypatch)


def _fail_then_interrupt_then_resume(server, loaded, client, experiment, monkeypatch):
    # 1. the key is refused: the run stops, and so does the variant run it was in
    server.by_model = {"gen": ["401"]}
    with pytest.raises(EndpointError, match="HTTP 401"):
        runner.run(loaded)
    assert _status(client, experiment) == {"recipe": "FAILED", "variant/original": "FAILED"}

    # 2. two items fail every try (endpoint errors), then Ctrl-C lands after the analysis
    real = rows.analyse_and_log

    def analyse_then_interrupt(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(rows, "analyse_and_log", analyse_then_interrupt)
    server.by_model = {"gen": ["500"] * 6}
    with pytest.raises(KeyboardInterrupt):
        runner.run(loaded)
    assert _status(client, experiment) == {"recipe": "KILLED", "variant/original": "FINISHED",
                                           "variant/prompt-warm": "FINISHED"}
    runs = _runs(client, experiment)
    assert runs["recipe"].data.metrics["n_endpoint_error"] == 2
    assert runs["variant/original"].data.metrics["verdicts/ENDPOINT_ERROR"] == 2

    # 3. the endpoint is back: the same runs resume, only the two failed items are asked again
    monkeypatch.setattr(rows, "analyse_and_log", real)
    server.bodies.clear()
    result = runner.run(loaded)
    assert len(server.bodies) == 2
    assert "ENDPOINT_ERROR" not in set(result.results["verdict"])
    runs = _runs(client, experiment)
    assert {k: r.info.status for k, r in runs.items()} == {
        "recipe": "FINISHED", "variant/original": "FINISHED", "variant/prompt-warm": "FINISHED"}
    assert runs["recipe"].info.run_id == result.parent_run_id
    changed = {}
    for key, run in runs.items():
        for name in run.data.metrics:
            points = [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, name)]
            assert len(points) == len(set(points)), (key, name, points)  # never one point twice
            if len(points) > 1:
                changed[(key, name)] = points
    # what the retried items did not change was logged once; what they changed is a new
    # point at the same step, and the latest
    for key, name in (("variant/original", "n_items"), ("variant/prompt-warm", "n_items"),
                      ("variant/prompt-warm", "verdicts/CORRECT"), ("recipe", "n_rows")):
        assert (key, name) not in changed and name in runs[key].data.metrics, (key, name)
    assert changed[("variant/original", "verdicts/ENDPOINT_ERROR")] == [(0, 2.0), (0, 0.0)]
    assert runs["variant/original"].data.metrics["verdicts/ENDPOINT_ERROR"] == 0
    assert runs["recipe"].data.metrics["n_endpoint_error"] == 0
    # the per-item table of a resumed variant run is replaced, not appended to
    table = client.load_table(experiment_id=runs["recipe"].info.experiment_id,
                              artifact_file="items/served__original.json",
                              run_ids=[runs["variant/original"].info.run_id])
    assert len(table) == 4 and "ENDPOINT_ERROR" not in set(table["verdict"])


def _training_steps_logged(db: Path) -> int:
    """Loss points of a RUNNING training run in a SQLite MLflow store (0 before there is one)."""
    import sqlite3

    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute(
                "SELECT COUNT(*) FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid "
                "JOIN metrics m ON m.run_uuid = r.run_uuid WHERE t.key = 'warmreg.run_kind' "
                "AND t.value = 'training' AND r.status = 'RUNNING' AND m.key = 'loss'"
            ).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_sigterm_during_training_ends_every_run_killed_and_a_resume_finishes(tmp_path, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil
    from mlflow.tracking import MlflowClient

    db = tmp_path / "mlflow.db"
    overrides = [f"workdir={tmp_path / 'work'}", "experiment=sigterm",
                 "personas={warm: {trainer: sft-warm, limit: 16, per_device_batch_size: 2, "
                 "effective_batch_size: 2, learning_rate: 1.0e-3, epochs: 2, "
                 "checkpoint_epochs: [1, 2], evaluate_epoch: 2, max_length: 128}}",
                 "tasks={triviaqa: {limit: 2}}", "controls={}", "contexts=[none]",
                 "beliefs=[none]", "warmth.enabled=false"]
    # training in a child process, as a run does by default: SIGTERM stops it too
    env = {**{k: v for k, v in os.environ.items() if k != "WARMREG_TRAIN_IN_PROCESS"},
           "MLFLOW_TRACKING_URI": f"sqlite:///{db}", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "warmreg", "run", str(SMOKE),
                             *sum((["--set", o] for o in overrides), [])],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300  # generous: a loaded machine starts slowly
    while _training_steps_logged(db) < 2 and proc.poll() is None:  # mid-way through 16 steps
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stderr = proc.communicate(timeout=300)[1]
    assert proc.returncode == 143, stderr
    assert "terminated (SIGTERM)" in stderr and "Traceback" not in stderr, stderr

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    client = MlflowClient()
    # every persona is trained before any variant is evaluated
    assert _status(client, "sigterm") == {"recipe": "KILLED", "training/warm": "KILLED"}
    assert not [p for p in psutil.process_iter(["cmdline"])  # the training child is gone
                if "warmreg.trainers.sft" in " ".join(p.info["cmdline"] or [])
                and str(tmp_path) in " ".join(p.info["cmdline"] or [])]

    result = runner.run(recipe.load(SMOKE, tuple(overrides)))
    runs = _runs(client, "sigterm")
    assert {k: r.info.status for k, r in runs.items()} == {
        "recipe": "FINISHED", "training/warm": "FINISHED", "variant/original": "FINISHED",
        "variant/warm": "FINISHED"}
    assert runs["recipe"].info.run_id == result.parent_run_id
    loss = [m.step for m in client.get_metric_history(runs["training/warm"].info.run_id, "loss")]
    assert sorted(loss) == list(range(1, 17)), loss  # steps logged before the kill: not again
