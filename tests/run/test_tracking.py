"""The tracker: every run it opens ends, points are logged once, a fresh store is safe."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

from mlflow.tracking import MlflowClient

from warmreg.run.tracking import EXPERIMENT_KIND, Tracker


def _history(tracker: Tracker, run_id: str, name: str) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in tracker.client.get_metric_history(run_id, name))


def test_a_resumed_run_logs_each_point_once():
    tracker = Tracker(f"points-{uuid.uuid4().hex[:8]}")
    run_id = tracker.start_parent("r", "fp-points", {})
    tracker.log_metrics(run_id, {"n_items": 4, "verdicts/CORRECT": 3})
    tracker.log_metrics(run_id, {"n_items": 4})  # the same process again
    for step in (1, 2, 3):
        tracker.log_metrics(run_id, {"loss": 1.0 / step}, step=step)

    resumed = Tracker(tracker.client.get_experiment(tracker.experiment_id).name)  # a new process
    assert resumed.start_parent("r", "fp-points", {}) == run_id
    resumed.log_metrics(run_id, {"n_items": 4, "verdicts/CORRECT": 3})
    for step in (2, 3, 4):  # training resumed from the checkpoint at step 1
        resumed.log_metrics(run_id, {"loss": 1.0 / step}, step=step)
    assert _history(resumed, run_id, "n_items") == [(0, 4.0)]
    assert _history(resumed, run_id, "verdicts/CORRECT") == [(0, 3.0)]
    assert _history(resumed, run_id, "loss") == [(s, 1.0 / s) for s in (1, 2, 3, 4)]

    # a value that changed on resume (failed items retried) is logged, and is the latest
    resumed.log_metrics(run_id, {"verdicts/CORRECT": 4})
    assert _history(resumed, run_id, "verdicts/CORRECT") == [(0, 3.0), (0, 4.0)]
    assert resumed.client.get_run(run_id).data.metrics["verdicts/CORRECT"] == 4.0


def test_end_open_ends_every_run_still_open_and_only_those():
    tracker = Tracker(f"ending-{uuid.uuid4().hex[:8]}")
    parent = tracker.start_parent("r", "fp-ending", {})
    done = tracker.child(parent, "eval/a", "a", {})
    tracker.finish(done)
    training = tracker.child(parent, "train/b", "b", {})
    variant = tracker.child(parent, "eval/b", "b", {})
    tracker.end_open("KILLED")
    status = {r: tracker.client.get_run(r).info.status for r in (parent, done, training, variant)}
    assert status == {parent: "KILLED", done: "FINISHED", training: "KILLED", variant: "KILLED"}
    tracker.end_open("FAILED")  # nothing is left open: no run changes
    assert tracker.client.get_run(parent).info.status == "KILLED"


def test_processes_opening_one_fresh_store_at_once_all_succeed(tmp_path):
    # Without the lock MLflow's migrations collide ("duplicate column name: step") and two
    # processes may both create the experiment; three at once reproduced it in most tries.
    script = textwrap.dedent("""
        from warmreg.run.tracking import Tracker
        tracker = Tracker("fresh")
        print(tracker.experiment_id)
    """)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'fresh.db'}"}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    assert len({out.strip() for out, _ in outs}) == 1  # one experiment, found by all
    assert not any("Traceback" in err for _, err in outs)

def test_under_mlflow_run_the_parent_is_named_after_the_recipe(monkeypatch):
    client = MlflowClient()
    experiment = client.create_experiment("outer")
    outer = client.create_run(experiment, run_name="legendary-crow-576").info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", outer)
    tracker = Tracker("ignored under mlflow run")
    assert tracker.start_parent("demo", "f" * 64, {}) == outer
    assert client.get_run(outer).info.run_name == "demo"
    kind, value = EXPERIMENT_KIND
    assert client.get_experiment(experiment).tags[kind] == value


def test_an_experiment_kind_chosen_by_the_user_is_kept():
    client = MlflowClient()
    experiment = client.create_experiment("chosen", tags={EXPERIMENT_KIND[0]: "genai_development"})
    Tracker("chosen")
    assert client.get_experiment(experiment).tags[EXPERIMENT_KIND[0]] == "genai_development"


def test_traces_are_logged_once_per_run():
    tracker = Tracker("traces-once")
    run_id = tracker.new_run("v", {})
    reply = {"messages": [{"role": "user", "content": "2+2?"}], "reply": "4",
             "n_prompt_tokens": 3, "n_new_tokens": 1, "finish_reason": "stop",
             "verdict": "CORRECT", "explanation": "", "judge": "numeric", "tags": {"warmreg.task": "t"}}
    assert tracker.log_traces(run_id, [reply, reply]) == 2
    assert tracker.log_traces(run_id, [reply]) == 0  # a resumed run logs none again


def test_a_long_summary_is_cut_at_a_section_to_fit_the_note():
    from warmreg.run.tracking import NOTE_LIMIT, fit_note

    sections = [f"### section {i}\n\n" + "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 80
                for i in range(12)]
    summary = "# warmreg analysis\n\n" + "\n".join(sections)
    assert len(summary) > NOTE_LIMIT
    note = fit_note(summary)
    assert len(note) <= NOTE_LIMIT
    kept, _, tail = note.partition("\n\n*(The rest")
    assert summary.startswith(kept) and "report/summary.md" in tail
    assert summary[len(kept):].lstrip("\n").startswith("### section")  # before a section, not in a table
    assert fit_note("short") == "short"
