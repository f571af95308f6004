"""recipes/smoke-closed.yaml end to end against the stand-in fine-tuning and chat API:
a "closed" model fine-tuned warm and cold, evaluated, judged, analysed and in MLflow, with
a SIGKILL while the first job is polled and a resume that reuses the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.trainers.fake_finetune import FineTuneServer
from warmreg import recipe
from warmreg.run import runner

RECIPE = Path(__file__).parents[2] / "recipes" / "smoke-closed.yaml"


def _overrides(url: str, workdir: Path) -> tuple[str, ...]:
    return (f"workdir={workdir}", "experiment=closed-e2e", f"backend.base_url={url}",
            f"personas.warm.base_url={url}", f"personas.cold.base_url={url}",
            f"judges.llm.backend_config.base_url={url}")


def test_closed_model_fine_tuned_killed_resumed_evaluated(tmp_path):
    with FineTuneServer() as server:
        server.hold.set()  # the warm job runs until the kill
        args = [a for o in _overrides(server.url, tmp_path) for a in ("--set", o)]
        child = subprocess.Popen([sys.executable, "-m", "warmreg.cli", "run", str(RECIPE), *args],
                                 env=os.environ.copy(), stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while server.polls < 3:
                assert child.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert len(server.creates) == 1  # killed while the first job was polled
        assert not any(b["model"].startswith("ft:") for b in server.chats)
        server.hold.clear()
        loaded = recipe.load(RECIPE, _overrides(server.url, tmp_path))
        result = runner.run(loaded, echo=lambda msg: None)
    # the killed job was resumed, not started again: one job per persona
    assert [c["suffix"] for c in server.creates] == ["warmreg-warm", "warmreg-cold"]
    assert len(server.files) == 2
    frame = result.results
    assert set(frame["variant"]) == {"original", "warm", "cold", "prompt-warm"}
    assert (frame.groupby("variant").size() == 4 * 2 * 2).all()
    assert set(frame["verdict"]) == {"CORRECT"}  # every reply judged by the stand-in judge
    served = {b["model"] for b in server.chats}
    assert {"gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini-2024-07-18:org:warmreg:ftjob-1",
            "ft:gpt-4o-mini-2024-07-18:org:warmreg:ftjob-2", "gpt-4o-2024-08-06"} <= served
    _check_mlflow(result)


def _check_mlflow(result) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    runs = client.search_runs([result.experiment_id],
                              filter_string="tags.`warmreg.run_kind` = 'training'")
    by_variant = {r.data.tags["warmreg.variant"]: r for r in runs}
    assert set(by_variant) == {"warm", "cold"}
    warm = by_variant["warm"]
    assert warm.data.params["job_id"] == "ftjob-1"
    assert warm.data.params["fine_tuned_model"] == "ft:gpt-4o-mini-2024-07-18:org:warmreg:ftjob-1"
    assert warm.data.metrics["trained_tokens"] == 12345
    assert len(client.get_metric_history(warm.info.run_id, "train_loss")) == 6
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
