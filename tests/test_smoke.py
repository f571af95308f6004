"""recipes/smoke.yaml end to end on the tiny model, read back through MlflowClient."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warmreg import recipe
from warmreg.run import runner
from warmreg.cache.store import Store

SMOKE = Path(__file__).parent.parent / "recipes" / "smoke.yaml"
VARIANTS = {"original", "warm", "cold", "prompt-warm"}


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    loaded = recipe.load(SMOKE, (f"workdir={workdir}", "experiment=smoke-e2e"))
    return loaded, runner.run(loaded)


def _client():
    from mlflow.tracking import MlflowClient

    return MlflowClient()


def test_results_cover_every_cell(smoke_run):
    loaded, result = smoke_run
    frame = result.results
    assert set(frame["variant"]) == VARIANTS
    per_variant = frame.groupby("variant").size()
    # 2 tasks x 4 items x 2 contexts x 2 beliefs + 4 mmlu items asked plainly
    assert (per_variant == 2 * 4 * 2 * 2 + 4).all(), per_variant
    assert set(frame["verdict"]) <= {"CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE"}
    assert set(frame.loc[frame.task == "mmlu", "context"]) == {"none"}
    # the same items for every variant
    ids = frame.groupby("variant")["item_id"].apply(lambda s: tuple(sorted(s)))
    assert ids.nunique() == 1
    assert (result.out_dir / "results.parquet").exists()
    warmth = result.analysis.warmth
    assert warmth is not None and set(warmth["variant"]) == VARIANTS


def test_mlflow_runs_are_comparable(smoke_run):
    _, result = smoke_run
    client = _client()
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["warmreg.plugin.tasks.triviaqa"].startswith("warmreg ")
    assert "warmreg.git_commit" in parent.data.tags
    children = client.search_runs([parent.info.experiment_id],
                                  f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    variants = {r.data.tags["warmreg.variant"]: r for r in children
                if r.data.tags.get("warmreg.run_kind") == "variant"}
    assert set(variants) == VARIANTS
    for run in variants.values():
        tags = run.data.tags
        assert tags["warmreg.model"] == "tiny" and tags["warmreg.family"] == "llama"
        assert tags["warmreg.size"].endswith("K")
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "items")}
        assert any(p.endswith(".parquet") for p in artifacts)
        assert any(p.endswith(".json") for p in artifacts)
        assert any(k.startswith("error_rate/") for k in run.data.metrics), run.data.metrics
    assert variants["warm"].data.tags["warmreg.trainer"] == "sft-warm"
    training = [r for r in children if r.data.tags.get("warmreg.run_kind") == "training"]
    assert {r.data.tags["warmreg.variant"] for r in training} == {"warm", "cold"}
    for run in training:
        assert "loss" in run.data.metrics
        warmth = client.get_metric_history(run.info.run_id, "warmth")
        epochs = client.get_metric_history(run.info.run_id, "epoch")
        assert {m.step for m in warmth} >= {0} and len(warmth) == 3  # base + 2 checkpoints
        assert {m.step for m in warmth} <= {m.step for m in epochs}
    assert "warmth" in variants["prompt-warm"].data.metrics
    # headline metrics on the parent; every per-cell figure in its tables
    assert "n_rows" in parent.data.metrics
    assert not any(k.startswith(("delta_pp/", "error_rate/")) for k in parent.data.metrics)
    tables = {a.path for a in client.list_artifacts(parent.info.run_id, "tables")}
    assert {"tables/error_rates.json", "tables/deltas.json"} <= tables


def test_rerun_generates_nothing(smoke_run, monkeypatch):
    loaded, first = smoke_run
    with Store(loaded.workdir / "store.sqlite") as store:
        before = store.counts()
    assert before["scores"] > 0  # the warmth check's scores are stored too
    from warmreg.warmth import score as warmth

    def no_scoring(*args, **kwargs):
        raise AssertionError("a re-run scored warmth again")

    monkeypatch.setattr(warmth, "warmth_scores", no_scoring)
    again = runner.run(loaded)
    with Store(loaded.workdir / "store.sqlite") as store:
        assert store.counts() == before
    cols = ["variant", "task", "item_id", "context", "belief", "verdict", "response"]
    assert again.results[cols].equals(first.results[cols])


def test_killed_run_resumes_without_loss_or_duplicates(tmp_path):
    overrides = [f"workdir={tmp_path}", "experiment=smoke-kill", "personas={}",
                 "tasks.triviaqa.limit=12", "generation.max_new_tokens=24", "backend.batch_size=2"]
    cmd = [sys.executable, "-m", "warmreg", "run", str(SMOKE)] + sum((["--set", o] for o in overrides), [])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    store_path = tmp_path / "store.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if store_path.exists() and Store(store_path).counts()["generations"] >= 4:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store(store_path) as store:
        partial = store.counts()["generations"]
    n_prompts = (12 + 4) * 2 * 2 + 4
    assert 4 <= partial < n_prompts, "the run was not killed part-way"
    loaded = recipe.load(SMOKE, tuple(overrides))
    result = runner.run(loaded)
    assert len(result.results) == n_prompts
    assert not result.results.duplicated(["task", "item_id", "context", "belief"]).any()
    with Store(store_path) as store:
        assert store.counts()["generations"] == n_prompts + 4  # + the 4 warmth-check replies


def test_compare_reads_the_experiment_back(smoke_run, tmp_path, capsys):
    from warmreg.cli import main

    assert main(["compare", "smoke-e2e", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(v in out for v in VARIANTS)
    html = (tmp_path / "compare.html").read_text()
    assert "data:image/png;base64," in html and "http" not in html.split("<body>")[1]


def test_analyze_command_reanalyses_the_results_file(smoke_run, tmp_path, capsys):
    from warmreg.cli import main

    _, result = smoke_run
    assert main(["analyze", str(result.out_dir / "results.parquet"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "summary.md").exists() and (tmp_path / "rates.csv").exists()
    assert "Error rates" in capsys.readouterr().out


def test_analyze_accepts_a_parent_run_id(smoke_run, tmp_path):
    from warmreg.cli import main

    _, result = smoke_run
    assert main(["analyze", result.parent_run_id, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "input" / "results.parquet").exists()
    assert (tmp_path / "rates.csv").exists()


def test_third_party_trainer_metrics_reach_its_training_run(fake_plugin, tmp_path):
    # "fake-steps" does not start with "sft": the runner follows its declared `trains`
    overrides = (f"workdir={tmp_path}", "experiment=smoke-third-party",
                 "personas={kind: {trainer: fake-steps, steps: 3}}", "tasks={triviaqa: {limit: 2}}",
                 "controls={}", "contexts=[none]", "beliefs=[none]", "warmth.enabled=false")
    result = runner.run(recipe.load(SMOKE, overrides))
    client = _client()
    [train] = [r for r in client.search_runs([client.get_run(result.parent_run_id).info.experiment_id])
               if r.data.tags.get("warmreg.run_kind") == "training"]
    assert train.data.tags["warmreg.trainer"] == "fake-steps"
    history = client.get_metric_history(train.info.run_id, "loss")
    assert [(m.step, round(m.value, 3)) for m in history] == [(1, 1.0), (2, 0.5), (3, 0.333)]
    assert train.info.status == "FINISHED"


def test_mlflow_objects_are_where_the_ui_looks(smoke_run):
    import mlflow

    loaded, result = smoke_run
    client = _client()
    parent = client.get_run(result.parent_run_id)
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    assert parent.info.run_name == loaded.name
    assert "mlflow.note.content" in parent.data.tags  # the summary is the run's note
    children = client.search_runs([experiment.experiment_id],
                                  f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    variants = {r.data.tags["warmreg.variant"]: r for r in children
                if r.data.tags.get("warmreg.run_kind") == "variant"}
    training = {r.data.tags["warmreg.variant"]: r for r in children
                if r.data.tags.get("warmreg.run_kind") == "training"}
    # task samples as dataset inputs, with name, digest and source
    for run in variants.values():
        inputs = {d.dataset.name: d for d in run.inputs.dataset_inputs}
        assert set(inputs) == {"triviaqa", "truthfulqa", "mmlu"}
        assert all(d.dataset.digest and "warmreg.task" in d.dataset.source for d in inputs.values())
    assert {d.dataset.name for d in training["warm"].inputs.dataset_inputs} == {"persona-warm"}
    # one logged model per checkpoint, the evaluated one the variant run's input, metrics linked
    models = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id],
                                         output_format="list")
    by_run = {}
    for model in models:
        by_run.setdefault(model.source_run_id, []).append(model)
    for name in ("warm", "cold"):
        checkpoints = by_run[training[name].info.run_id]
        assert sorted(m.tags["warmreg.epoch"] for m in checkpoints) == ["0.5", "1"]
        evaluated = next(m for m in checkpoints if m.tags["warmreg.evaluated"] == "true")
        variant_run = client.get_run(variants[name].info.run_id)  # search omits model inputs
        assert [i.model_id for i in variant_run.inputs.model_inputs] == [evaluated.model_id]
        linked = {m.key for m in evaluated.metrics}
        assert "warmth" in linked and any(k.startswith("error_rate/") for k in linked), linked
    # judged replies as traces of their variant run, the verdict an assessment on each
    # (warm and cold are trained alike from one seed: their traces must not collide)
    for name, run in variants.items():
        traces = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list",
                                      run_id=run.info.run_id, include_spans=False)
        n_items = int(run.data.metrics["n_items"])
        assert len(traces) == min(n_items, loaded.tracking.trace_limit or n_items), name
        for trace in traces:
            assert trace.info.tags["warmreg.variant"] == name
            [verdict] = [a for a in trace.info.assessments if a.name == "verdict"]
            assert verdict.feedback.value in ("CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE")
