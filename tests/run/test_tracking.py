"""The tracker's own behaviour against a temporary MLflow store."""

from mlflow.tracking import MlflowClient

from warmreg.run.tracking import EXPERIMENT_KIND, Tracker


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
