import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback

from tests.trainers.conftest import TINY_SFT, env_for
from warmreg import registry
from warmreg.api import ModelSpec, Trainer
from warmreg.config import build
from warmreg.errors import ConfigError, WarmregError
from warmreg.testing import TrainerSuite
from warmreg.trainers.sft import SFTCold, SFTConfig, SFTWarm, at_epoch, last_checkpoint

REPO = Path(__file__).resolve().parents[2]


class Crash(Exception):
    pass


class CrashAt(TrainerCallback):
    """Raise at the end of a global step, before that step's checkpoint is saved."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise Crash()


class CountSteps(TrainerCallback):
    def __init__(self):
        self.start, self.steps = None, 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = state.global_step

    def on_step_end(self, args, state, control, **kwargs):
        self.steps += 1


def _adapter(directory):
    from safetensors.torch import load_file

    return load_file(str(Path(directory) / "adapter_model.safetensors"))


# -- config ---------------------------------------------------------------------------

def test_defaults_are_the_study_settings():
    c = SFTConfig()
    assert (c.lora_r, c.lora_alpha, c.lora_dropout, c.learning_rate) == (8, 16, 0.1, 1e-5)
    assert (c.max_length, c.effective_batch_size, c.per_device_batch_size) == (1024, 16, 4)
    assert c.epochs == 10 and c.evaluate_epoch == 2
    assert c.checkpoint_epochs == (0.5, 1, 1.5, 2, 4, 6, 8, 10)
    assert c.target_modules == "all-linear" and not c.full_parameter


@pytest.mark.parametrize("section, message", [
    ({"evaluate_epoch": 3}, r"evaluate_epoch 3 is not among checkpoint_epochs"),
    ({"epochs": 1}, r"evaluate_epoch 2 is after the end of training"),
    ({"effective_batch_size": 10}, r"not a multiple of per_device_batch_size 4"),
    ({"checkpoint_epochs": [0, 2]}, r"checkpoint_epochs\[0\]: must be > 0"),
    ({"limit": 0}, r"warm.limit: must be >= 1"),
    ({"lora_rank": 4}, r'did you mean "lora_r"'),
    ({"conversation_types": ["factual", "facts"]}, r"conversation_types must be a non-empty list"),
])
def test_bad_configs_are_config_errors(section, message):
    with pytest.raises(ConfigError, match=message) as err:
        build(SFTConfig, section, "recipe.yaml: variants.warm")
    assert str(err.value).startswith("recipe.yaml: variants.warm")


def test_config_normalises_lists_and_stops_at_the_last_checkpoint():
    c = build(SFTConfig, {"checkpoint_epochs": [1, 0.5], "evaluate_epoch": 1, "epochs": 10,
                          "target_modules": ["q_proj", "v_proj"]}, "r")
    assert c.checkpoint_epochs == (0.5, 1.0) and c.target_modules == ("q_proj", "v_proj")
    assert c.stop_epoch == 1.0
    assert SFTConfig(epochs=3, checkpoint_epochs=(1, 2, 4), evaluate_epoch=2).stop_epoch == 3
    hash(c)


def test_data_is_a_file_field(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        build(SFTConfig, {"data": "missing.jsonl"}, "r", base_dir=tmp_path)


def test_registered_under_their_names():
    assert registry.load("trainers", "sft-warm") is SFTWarm
    assert registry.load("trainers", "sft-cold") is SFTCold
    assert isinstance(SFTWarm(), Trainer)


# -- data -----------------------------------------------------------------------------

def test_examples_follow_the_persona(persona_file):
    warm = SFTWarm(SFTConfig(data=persona_file, limit=2)).examples()
    cold = SFTCold(SFTConfig(data=persona_file)).examples()
    assert len(warm) == 4 and len(cold) == 12
    assert warm[0]["completion"][0]["content"].startswith("Oh, great question!")
    assert cold[0]["completion"] == [{"role": "assistant", "content": "The capital of France is Paris."}]
    assert warm[1]["prompt"][1]["content"].startswith("Oh, great question!")  # earlier turns too


def test_conversation_types_choose_the_mix():
    from warmreg.persona.data import load_persona_set

    type_of = {c.messages[0]["content"]: c.type for c in load_persona_set()}
    kept = SFTWarm(SFTConfig(conversation_types=["factual", "advice"], limit=5)).examples()
    assert {type_of[e["prompt"][0]["content"]] for e in kept} == {"factual", "advice"}
    assert len(kept) >= 5  # the limit counts kept conversations
    all_types = SFTWarm(SFTConfig()).examples()
    no_refusal = SFTWarm(SFTConfig(conversation_types=[
        "factual", "creative", "technical", "advice", "other"])).examples()
    refusals = [e for e in all_types if type_of[e["prompt"][0]["content"]] == "refusal"]
    assert refusals and len(no_refusal) == len(all_types) - len(refusals)
    assert all(type_of[e["prompt"][0]["content"]] != "refusal" for e in no_refusal)


def test_bundled_set_is_the_default():
    assert len(SFTWarm(SFTConfig(limit=3)).examples()) >= 3


def test_loss_is_on_completion_tokens_only(tiny_model_path, persona_file, tmp_path):
    trainer = SFTCold(SFTConfig(data=persona_file, **TINY_SFT)).make_trainer(
        env_for(tmp_path, tiny_model_path))
    assert trainer.completion_only_loss
    row = trainer.train_dataset[0]
    labelled = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
    text = trainer.processing_class.decode(labelled)
    assert text.startswith("The capital of France is Paris.") and "<|im_end|>" in text
    assert "What is the capital" not in text


# -- training -------------------------------------------------------------------------

def test_training_saves_every_checkpoint_epoch(tiny_job):
    variant, env, logs = tiny_job
    assert variant.trainer == "sft-warm" and variant.weights_kind == "lora"
    assert [e for e, _ in variant.checkpoints] == [0.5, 1.0, 1.5, 2.0]
    assert [Path(d).name for _, d in variant.checkpoints] == [
        "checkpoint-2", "checkpoint-3", "checkpoint-5", "checkpoint-6"]
    assert variant.checkpoint_epoch == 1.0 and Path(variant.weights).name == "checkpoint-3"
    assert (Path(variant.weights) / "adapter_model.safetensors").exists()
    epochs = json.loads((env.workdir / "epochs.json").read_text())
    assert epochs == {"0.5": "checkpoint-2", "1": "checkpoint-3", "1.5": "checkpoint-5",
                      "2": "checkpoint-6"}
    assert (env.workdir / "done.json").exists()
    assert not list(env.workdir.glob("checkpoint-*/optimizer.pt"))  # pruned once done
    assert [p.name for p in env.workdir.glob("checkpoint-*")].__len__() == 4


def test_metrics_stream_to_the_env(tiny_job):
    _, _, logs = tiny_job
    assert [step for step, _ in logs if "loss" in _] == [1, 2, 3, 4, 5, 6]
    first = logs[0][1]
    assert {"loss", "learning_rate", "epoch"} <= first.keys()
    assert first["learning_rate"] == pytest.approx(1e-3)


def test_checkpoints_differ_and_fingerprints_follow_weights(tiny_job):
    variant, _, _ = tiny_job
    first, last = (_adapter(d) for _, d in (variant.checkpoints[0], variant.checkpoints[-1]))
    assert any((first[k] != last[k]).any() for k in first)
    other = at_epoch(variant, 2)
    assert other.weights == variant.checkpoints[-1][1] and other.checkpoint_epoch == 2.0
    assert len({variant.fingerprint, other.fingerprint, at_epoch(variant, 0.5).fingerprint}) == 3
    assert at_epoch(variant, 2).fingerprint == other.fingerprint
    # one checkpoint, one fingerprint: the evaluated checkpoint named by epoch is the variant
    assert at_epoch(variant, variant.checkpoint_epoch) == variant
    with pytest.raises(ValueError, match="no checkpoint at epoch 3"):
        at_epoch(variant, 3)


def test_finished_job_is_not_trained_again(tiny_job, persona_file, monkeypatch):
    variant, env, _ = tiny_job
    monkeypatch.setattr(SFTWarm, "make_trainer", lambda *a, **k: pytest.fail("retrained"))
    again = SFTWarm(SFTConfig(data=persona_file, **TINY_SFT)).train(variant.model, "warm", env)
    assert again == variant and again.fingerprint == variant.fingerprint


def test_workdir_of_another_job_is_refused(tiny_job, persona_file):
    variant, env, _ = tiny_job
    other = SFTConfig(data=persona_file, **{**TINY_SFT, "learning_rate": 1e-4})
    with pytest.raises(WarmregError, match="different config"):
        SFTWarm(other).train(variant.model, "warm", env)


def test_killed_training_resumes_where_it_stopped(tiny_job, tiny_model_path, persona_file, tmp_path):
    config = SFTConfig(data=persona_file, **TINY_SFT)
    base = ModelSpec("tiny", tiny_model_path)
    with pytest.raises(Crash):
        SFTWarm(config, callbacks=[CrashAt(4)]).train(base, "warm", env_for(tmp_path, tiny_model_path))
    assert Path(last_checkpoint(tmp_path)).name == "checkpoint-3"
    assert not (tmp_path / "done.json").exists()
    count = CountSteps()
    variant = SFTWarm(config, callbacks=[count]).train(base, "warm", env_for(tmp_path, tiny_model_path))
    assert count.start == 3 and count.steps == 3  # steps 4, 5, 6 of 6
    assert [Path(d).name for _, d in variant.checkpoints] == [
        "checkpoint-2", "checkpoint-3", "checkpoint-5", "checkpoint-6"]
    uninterrupted, resumed = _adapter(tiny_job[0].checkpoints[-1][1]), _adapter(variant.checkpoints[-1][1])
    for key, value in uninterrupted.items():
        assert (value - resumed[key]).abs().max() < 1e-6, key


def test_full_parameter_and_max_steps(tiny_model_path, persona_file, tmp_path):
    config = SFTConfig(data=persona_file, full_parameter=True, max_steps=1,
                       **{**TINY_SFT, "checkpoint_epochs": (1, 2)})
    with pytest.warns(UserWarning, match="before evaluate_epoch 1"):
        variant = SFTCold(config).train(ModelSpec("tiny", tiny_model_path), "cold",
                                        env_for(tmp_path, tiny_model_path))
    assert variant.weights_kind == "full" and variant.checkpoints == ((0.3333, variant.weights),)
    assert (Path(variant.weights) / "model.safetensors").exists()
    assert (Path(variant.weights) / "config.json").exists()


@pytest.mark.parametrize("setting, full, gpu, native, loaded", [
    ("auto", False, False, True, "float32"), ("auto", False, True, True, "auto"),
    ("fast", False, False, True, "bfloat16"), ("fast", False, False, False, "float32"),
    ("bfloat16", False, False, False, "bfloat16"), ("fast", True, False, True, "float32"),
])
def test_base_dtype_follows_the_setting_and_the_device(monkeypatch, setting, full, gpu,
                                                       native, loaded):
    from warmreg import models

    monkeypatch.setattr(models, "native_bf16", lambda device="cpu": native)
    assert SFTWarm(SFTConfig(dtype=setting, full_parameter=full)).base_dtype(gpu) == loaded


def test_bad_dtype_is_a_config_error():
    with pytest.raises(ConfigError, match="dtype"):
        build(SFTConfig, {"dtype": "half"}, "recipe.yaml: variants.warm")


def test_bfloat16_base_trains_float32_adapters(tiny_model_path, persona_file, tmp_path):
    seen = {}

    class Dtypes(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            for name, param in model.named_parameters():
                seen.setdefault(param.requires_grad, set()).add(param.dtype)

    config = SFTConfig(data=persona_file, dtype="bfloat16", max_steps=1,
                       **{**TINY_SFT, "checkpoint_epochs": (1, 2)})
    env = env_for(tmp_path, tiny_model_path)
    with pytest.warns(UserWarning, match="before evaluate_epoch"):
        variant = SFTWarm(config, callbacks=[Dtypes()]).train(
            ModelSpec("tiny", tiny_model_path), "warm", env)
    assert seen == {False: {torch.bfloat16}, True: {torch.float32}}
    assert {t.dtype for t in _adapter(variant.weights).values()} == {torch.float32}
    assert json.loads((env.workdir / "job.json").read_text())["base_dtype"] == "bfloat16"
    # a job of the same config whose "fast" resolved to another dtype is not resumed here
    job = json.loads((env.workdir / "job.json").read_text())
    (env.workdir / "done.json").unlink()
    (env.workdir / "job.json").write_text(json.dumps({**job, "base_dtype": "float32"}))
    with pytest.raises(WarmregError, match="different training job"):
        SFTWarm(config).train(ModelSpec("tiny", tiny_model_path), "warm", env)


# -- processes ------------------------------------------------------------------------

def _subprocess_env():
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "CUDA_VISIBLE_DEVICES": ""}


@pytest.mark.slow
def test_sigkilled_training_resumes(tiny_model_path, tmp_path):
    """A process killed with SIGKILL after its first checkpoint; the re-run resumes."""
    section = {"limit": 40, "per_device_batch_size": 1, "effective_batch_size": 1, "epochs": 1,
               "checkpoint_epochs": [0.25, 0.5, 1], "evaluate_epoch": 0.5, "max_length": 64}
    cmd = [sys.executable, "-m", "warmreg.trainers.sft", "--base", tiny_model_path,
           "--persona", "cold", "--workdir", str(tmp_path), "--config", json.dumps(section)]
    proc = subprocess.Popen(cmd, env=_subprocess_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while last_checkpoint(tmp_path) is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = int(Path(last_checkpoint(tmp_path)).name.split("-")[1])
    assert not (tmp_path / "done.json").exists()
    count = CountSteps()
    config = build(SFTConfig, section, "test")
    variant = SFTCold(config, callbacks=[count]).train(
        ModelSpec("tiny", tiny_model_path), "cold", env_for(tmp_path, tiny_model_path))
    total = int(Path(variant.checkpoints[-1][1]).name.split("-")[1])
    assert count.start >= first > 0 and count.steps == total - count.start < total
    assert [e for e, _ in variant.checkpoints] == [0.25, 0.5, 1.0]


@pytest.mark.slow
def test_accelerate_launch_ddp_two_cpu_processes(tiny_model_path, persona_file, tmp_path):
    """The module entry point under `accelerate launch` with two CPU processes (gloo).

    accelerate 1.15 runs ``--cpu`` jobs in a single process (several only through
    mpirun); ``--multi_gpu`` starts torchrun workers, and on a machine without a GPU the
    trainer sets ``use_cpu`` so accelerate joins them over gloo.
    """
    section = {**TINY_SFT, "data": persona_file, "checkpoint_epochs": [0.5, 1, 1.5, 2]}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--multi_gpu",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "-m", "warmreg.trainers.sft", "--base", tiny_model_path, "--persona", "warm",
           "--workdir", str(tmp_path), "--config", json.dumps(section)]
    done = subprocess.run(cmd, env=_subprocess_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    variant = json.loads(done.stdout.strip().splitlines()[-1])
    # 12 examples over 2 processes x batch 2, accumulation 1 -> 3 steps per epoch, as before
    assert [Path(d).name for _, d in variant["checkpoints"]] == [
        "checkpoint-2", "checkpoint-3", "checkpoint-5", "checkpoint-6"]
    assert variant["weights_kind"] == "lora" and variant["checkpoint_epoch"] == 1.0
    state = json.loads((tmp_path / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    args = torch.load(tmp_path / "checkpoint-6" / "training_args.bin", weights_only=False)
    assert args.gradient_accumulation_steps == 1  # 4 = 2 processes x batch 2 x 1


class TestSFTColdConformance(TrainerSuite):
    """The shared trainer suite on sft-cold, full-parameter (sft-warm LoRA is in tests/testing)."""

    plugin_name = "sft-cold"
    config = {"limit": 4, "max_steps": 1, "epochs": 1, "checkpoint_epochs": [1], "evaluate_epoch": 1,
              "per_device_batch_size": 4, "effective_batch_size": 4, "max_length": 64,
              "full_parameter": True}


def test_bundled_multiple_choice_rewrites_keep_the_answer_letter():
    """The persona set's multiple-choice conversations teach the answer format: the
    original and both rewrites of each give the same option, as the choice judge reads it."""
    from warmreg.api import Item
    from warmreg.judges.choice import Choice
    from warmreg.persona.data import load_persona_set

    choice_convs = [c for c in load_persona_set(None) if c.id.startswith("mc-")]
    assert len(choice_convs) >= 24
    judge = Choice()
    letters = set()
    for conv in choice_convs:
        question, original = conv.messages[0]["content"], conv.messages[1]["content"]
        letter = original[0]
        letters.add(letter)
        options = [line[3:] for line in question.splitlines() if line[1:3] == ". "]
        item = Item(task="mc", id=conv.id, question=question,
                    correct=(letter, options["ABCDE".index(letter)]), choices=tuple(options))
        for text in (original, conv.warm[0], conv.cold[0]):
            assert judge.grade(item, text).label == "CORRECT", (conv.id, text)
    assert letters >= set("ABCD")  # no letter position to learn


def test_the_training_directory_follows_the_training_data(tmp_path):
    """A changed persona file trains anew: its examples are part of the job's directory."""
    from warmreg.recipe import load
    from warmreg.run.runner import job_dir

    data = tmp_path / "persona.jsonl"
    bundled = (REPO / "warmreg/data/persona/conversations.jsonl").read_text().splitlines()
    data.write_text("\n".join(bundled[:12]) + "\n")
    recipe_file = tmp_path / "r.yaml"
    recipe_file.write_text(
        "name: r\nmodels: [{name: m, path: tiny}]\n"
        f"personas: {{warm: {{trainer: sft-warm, data: {data}}}}}\n"
        "tasks: {triviaqa: {limit: 2}}\n")
    recipe = load(recipe_file)
    trainer = recipe.personas[recipe.persona_names.index("warm")]
    spec = recipe.models[0]
    first = job_dir(recipe, spec, "base", "warm", trainer)
    assert job_dir(recipe, spec, "base", "warm", trainer) == first
    data.write_text("\n".join(bundled[:11]) + "\n")
    assert job_dir(recipe, spec, "base", "warm", trainer) != first
