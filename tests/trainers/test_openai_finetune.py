"""``openai-finetune`` against a stand-in fine-tuning API on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.trainers.fake_finetune import FineTuneServer
from warmreg.api import ModelSpec, TrainEnv
from warmreg.errors import WarmregError
from warmreg.trainers.openai_finetune import Config, JobFailed, OpenAIFineTune, check_examples

BASE = ModelSpec("gpt", "gpt-4o-2024-08-06", family="gpt", size="closed")
KEY = "sk-ft-test-91c2-do-not-leak"
FAST = dict(poll_s=0.0, max_poll_s=0.0, backoff_s=0.0, api_key_env="WARMREG_FT_KEY", limit=12)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("WARMREG_FT_KEY", KEY)


class Log:
    def __init__(self):
        self.metrics, self.params = [], {}

    def env(self, workdir: Path) -> TrainEnv:
        return TrainEnv(workdir=workdir, seed=7, base_path=BASE.path,
                        log_metrics=lambda m, s: self.metrics.append((dict(m), s)),
                        log_params=self.params.update)


def trainer(server, **config) -> OpenAIFineTune:
    return OpenAIFineTune(Config(base_url=server.url, **{**FAST, **config}))


def test_a_job_becomes_a_variant_with_the_providers_checkpoints(tmp_path):
    log = Log()
    with FineTuneServer() as server:
        variant = trainer(server, epochs=3, suffix="w-{persona}").train(BASE, "warm", log.env(tmp_path))
        requests_after_training = server.polls
        again = trainer(server, epochs=3, suffix="w-{persona}").train(BASE, "warm", log.env(tmp_path))
    # the job carried the study's settings
    (body,) = server.creates
    assert body["model"] == "gpt-4o-2024-08-06" and body["seed"] == 7 and body["suffix"] == "w-warm"
    assert body["method"]["supervised"]["hyperparameters"] == {"n_epochs": 3, "batch_size": 16}
    assert body["training_file"] == "file-1" and body["metadata"]["warmreg_job"]
    # the uploaded file is chat fine-tuning JSONL in the persona
    lines = [json.loads(l) for l in server.files["file-1"].replace(b"\r\n", b"\n").split(b"\n") if l.startswith(b'{"messages"')]
    assert len(lines) == 12 and all(l["messages"][-1]["role"] == "assistant" for l in lines)
    # provider checkpoints (last three epochs) are the variant's; the final one evaluated
    assert [e for e, _ in variant.checkpoints] == [1.0, 2.0, 3.0]
    assert variant.weights_kind == "served" and variant.checkpoint_epoch == 3.0
    assert variant.served_model() == "ft:gpt-4o-2024-08-06:org:warmreg:ftjob-1"
    assert variant.at_checkpoint(1.0).served_model().endswith(":ckpt-step-3")
    assert variant.at_checkpoint(3.0).fingerprint == variant.fingerprint
    # job id, events, trained tokens and the model id reach the training run
    assert log.params["job_id"] == "ftjob-1" and log.params["trained_tokens"] == 12345
    assert log.params["fine_tuned_model"] == variant.served_model()
    steps = [s for m, s in log.metrics if "train_loss" in m]
    assert steps == list(range(1, 10))  # each metrics event once, by step
    assert ({"trained_tokens": 12345.0}, 9) in log.metrics
    assert json.loads((tmp_path / "events.json").read_text())[-1]["message"] == "Job succeeded"
    # a finished job is returned from the workdir without a request
    assert server.polls == requests_after_training and again == variant
    assert server.auth == {f"Bearer {KEY}"}


@pytest.mark.parametrize("outcome, said", [("failed", "failed: bad line 3"),
                                           ("cancelled", "cancelled: no reason given")])
def test_a_failed_or_cancelled_job_is_an_error_naming_it(tmp_path, outcome, said):
    with FineTuneServer(outcome=outcome) as server:
        with pytest.raises(JobFailed, match=f"ftjob-1 {said}"):
            trainer(server).train(BASE, "warm", Log().env(tmp_path))
        with pytest.raises(JobFailed):  # a re-run reports the same job, never starts another
            trainer(server).train(BASE, "warm", Log().env(tmp_path))
    assert len(server.creates) == 1 and not (tmp_path / "done.json").exists()


def test_a_429_storm_is_ridden_out_without_a_second_job(tmp_path):
    with FineTuneServer(storm=25) as server:
        variant = trainer(server, max_retries=30).train(BASE, "warm", Log().env(tmp_path))
    assert server.throttled == 25 and len(server.creates) == 1 and len(server.files) == 1
    assert variant.served_model().startswith("ft:")


def test_retries_run_out_into_an_error_without_the_key(tmp_path):
    with FineTuneServer(storm=10) as server:
        with pytest.raises(WarmregError, match="HTTP 429") as excinfo:
            trainer(server, max_retries=2).train(BASE, "warm", Log().env(tmp_path))
    assert KEY not in str(excinfo.value) and not server.creates


def test_a_run_killed_while_polling_resumes_the_same_job(tmp_path):
    with FineTuneServer() as server:
        server.hold.set()  # the job keeps running until released
        child = subprocess.Popen([sys.executable, "-c", _CHILD, server.url, str(tmp_path)],
                                 env={**os.environ, "WARMREG_FT_KEY": KEY})
        try:
            _wait(lambda: server.polls >= 3, child)
            assert json.loads((tmp_path / "job.json").read_text())["job_id"] == "ftjob-1"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        server.hold.clear()
        variant = trainer(server).train(BASE, "warm", Log().env(tmp_path))
    assert len(server.creates) == 1 and len(server.files) == 1
    assert variant.served_model() == "ft:gpt-4o-2024-08-06:org:warmreg:ftjob-1"


def test_a_run_killed_inside_the_create_call_finds_its_job(tmp_path):
    with FineTuneServer() as server:
        made = trainer(server)
        key = made._key(BASE, Log().env(tmp_path))
        server.files["file-1"] = b""
        server.create_job({"model": BASE.path, "training_file": "file-1", "metadata": {
            "warmreg_job": key}, "method": {"supervised": {"hyperparameters": {"n_epochs": 2}}}})
        (tmp_path / "job.json").write_text(json.dumps({"key": key, "file_id": "file-1",
                                                       "creating": True}))
        variant = made.train(BASE, "warm", Log().env(tmp_path))
    assert len(server.creates) == 1 and variant.params["job_id"] == "ftjob-1"


@pytest.mark.parametrize("examples, said", [
    ([{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}] * 3,
     "at least 10 examples"),
    ([{"messages": [{"role": "bot", "content": "hi"}, {"role": "assistant", "content": "yo"}]}] * 10,
     "example 0: a message needs a role"),
    ([{"messages": [{"role": "user", "content": "hi"}]}] * 10, "last message must be the assistant"),
    ([{"messages": [{"role": "user", "content": "x" * 3000}, {"role": "assistant", "content": "y"}]}] * 10,
     "over the model's limit of 500"),
])
def test_examples_are_checked_before_upload(tmp_path, examples, said):
    with pytest.raises(WarmregError, match=said):
        check_examples(examples, 500, tmp_path / "t.jsonl")
    assert not (tmp_path / "t.jsonl").exists()


def test_nothing_is_sent_when_the_data_fails_its_check(tmp_path):
    with FineTuneServer() as server:
        with pytest.raises(WarmregError, match="over the model's limit"):
            trainer(server, max_example_tokens=10).train(BASE, "warm", Log().env(tmp_path))
    assert not server.files and not server.creates


def test_config_from_a_recipe_section():
    from warmreg.config import build
    from warmreg.errors import ConfigError

    assert build(Config, {"epochs": 3, "persona": "cold"}, "r: personas.cold").persona == "cold"
    with pytest.raises(ConfigError, match="evaluate_epoch 4 is after"):
        build(Config, {"epochs": 3, "evaluate_epoch": 4}, "r: personas.cold")


def _wait(condition, child, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert child.poll() is None, "the training process ended early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


_CHILD = """
import sys
from pathlib import Path
from warmreg.api import ModelSpec, TrainEnv
from warmreg.trainers.openai_finetune import Config, OpenAIFineTune
base = ModelSpec("gpt", "gpt-4o-2024-08-06", family="gpt", size="closed")
trainer = OpenAIFineTune(Config(base_url=sys.argv[1], poll_s=0.05, max_poll_s=0.05,
                                backoff_s=0.0, api_key_env="WARMREG_FT_KEY", limit=12))
trainer.train(base, "warm", TrainEnv(workdir=Path(sys.argv[2]), seed=7, base_path=base.path))
"""
