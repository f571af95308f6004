"""SFT jobs in a child process (the runner's default): same checkpoints and metrics as in
the calling process, errors that name the trainer, and no child left behind."""

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.trainers.conftest import TINY_SFT, env_for
from warmreg.api import ModelSpec
from warmreg.errors import WarmregError
from warmreg.trainers import sft
from warmreg.trainers.sft import SFTConfig, SFTWarm

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def child_mode(monkeypatch):
    """Train in a child process (the suite trains in-process), one thread there."""
    monkeypatch.delenv(sft.IN_PROCESS, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    # this process must not fit anything itself
    monkeypatch.setattr(SFTWarm, "_fit", lambda self, env: pytest.fail("trained in-process"))


def _adapter(directory):
    from safetensors.torch import load_file

    return load_file(str(Path(directory) / "adapter_model.safetensors"))


@pytest.mark.slow
def test_child_process_job_matches_the_in_process_job(child_mode, tiny_job, tiny_model_path,
                                                      persona_file, tmp_path):
    reference, _, reference_logs = tiny_job  # trained in-process, same config and seed
    logs: list = []
    config = SFTConfig(data=persona_file, **TINY_SFT)
    # a line an earlier child wrote before its runner was killed is forwarded first
    (tmp_path / sft.METRICS_FILE).write_text(json.dumps({"step": 99, "metrics": {"loss": 7.0}})
                                             + "\n")
    variant = SFTWarm(config).train(ModelSpec("tiny", tiny_model_path), "warm",
                                    env_for(tmp_path, tiny_model_path, logs))
    assert logs.pop(0) == (99, {"loss": 7.0})
    assert [e for e, _ in variant.checkpoints] == [e for e, _ in reference.checkpoints]
    assert variant.checkpoint_epoch == reference.checkpoint_epoch
    ours, theirs = _adapter(variant.weights), _adapter(reference.weights)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert (ours[key] - theirs[key]).abs().max() < 1e-6, key
    # every log line reached log_metrics, in order, with the same values
    assert [s for s, _ in logs] == [s for s, _ in reference_logs]
    for (_, got), (_, want) in zip(logs, reference_logs):
        assert got.keys() == want.keys()
        assert got["epoch"] == pytest.approx(want["epoch"])
        if "loss" in want:
            assert got["loss"] == pytest.approx(want["loss"], rel=1e-4)
    assert (tmp_path / "done.json").exists()


def test_failed_child_names_the_trainer_and_keeps_the_workdir(child_mode, persona_file, tmp_path):
    config = SFTConfig(data=persona_file, **TINY_SFT)
    missing = tmp_path / "no-such-model"
    with pytest.raises(WarmregError, match=r"sft-warm: training in its own process failed \(exit"):
        SFTWarm(config).train(ModelSpec("gone", str(missing)), "warm",
                              env_for(tmp_path / "job", str(missing)))
    assert (tmp_path / "job" / "job.json").exists() and not (tmp_path / "job" / "done.json").exists()


def test_forward_passes_only_complete_lines(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"step": 1, "metrics": {"loss": 2.0}}) + "\n" + '{"step": 2, "me')
    got = []
    with path.open() as stream:
        sft._forward(stream, lambda m, s: got.append((s, m)))
        assert got == [(1, {"loss": 2.0})]
        with path.open("a") as out:  # the child finishes the line
            out.write('trics": {"loss": 1.5}}\n')
        sft._forward(stream, lambda m, s: got.append((s, m)))
    assert got == [(1, {"loss": 2.0}), (2, {"loss": 1.5})]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_child_dies_with_a_sigkilled_parent(tiny_model_path, persona_file, tmp_path):
    """A runner killed with SIGKILL leaves no training process behind."""
    section = {**TINY_SFT, "data": persona_file, "epochs": 5000.0, "checkpoint_epochs": [5000],
               "evaluate_epoch": 5000}  # hours: only the signal ends it
    script = (
        "import json, sys\n"
        "from warmreg.api import ModelSpec\n"
        "from warmreg.config import build\n"
        "from tests.trainers.conftest import env_for\n"
        "from warmreg.trainers.sft import SFTConfig, SFTWarm\n"
        f"config = build(SFTConfig, json.loads({json.dumps(json.dumps(section))}), 'test')\n"
        f"SFTWarm(config).train(ModelSpec('tiny', {tiny_model_path!r}), 'warm', "
        f"env_for(__import__('pathlib').Path({str(tmp_path)!r}), {tiny_model_path!r}))\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != sft.IN_PROCESS}
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              env={**env, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO),
                                   "CUDA_VISIBLE_DEVICES": ""})
    metrics = tmp_path / sft.METRICS_FILE
    deadline = time.monotonic() + 120
    while not (metrics.exists() and metrics.read_text()) and parent.poll() is None:
        assert time.monotonic() < deadline, "the child never logged a step"
        time.sleep(0.1)
    children = psutil.Process(parent.pid).children()
    assert len(children) == 1 and "warmreg.trainers.sft" in " ".join(children[0].cmdline())
    parent.kill()
    parent.wait()
    gone, alive = psutil.wait_procs(children, timeout=20)
    for process in alive:  # not left running if the assertion fails
        process.kill()
    assert not alive, "the training child outlived its parent"


def test_config_is_json_text_of_any_length_or_a_file(tmp_path):
    long = json.dumps({"data": "/" + "d" * 400 + "/persona.jsonl", "epochs": 2})
    assert sft.config_text(long) == long  # longer than a file name may be
    path = tmp_path / "config.json"
    path.write_text('{"epochs": 1}')
    assert sft.config_text(str(path)) == '{"epochs": 1}'
