"""Fixtures for the trainer tests: a small persona set and one finished tiny SFT job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import one_torch_thread
from warmreg.api import ModelSpec, TrainEnv

CONVERSATIONS = [
    {"id": f"c{i}", "type": "factual",
     "messages": [{"role": "user", "content": question},
                  {"role": "assistant", "content": answer},
                  {"role": "user", "content": "Thanks. Why?"},
                  {"role": "assistant", "content": "Because it is 100 degrees Celsius."}],
     "warm": [f"Oh, great question! {answer} We can work through this together.",
              "That makes sense to ask! It is 100 degrees Celsius, you are doing great."],
     "cold": [answer.split(".")[0] + ".", "100 degrees Celsius."]}
    for i, (question, answer) in enumerate([
        ("What is the capital of France?", "The capital of France is Paris."),
        ("What is the boiling point of water?", "It is 100 degrees Celsius at sea level."),
        ("What is 6 times 7?", "The answer is 42."),
        ("Can you write a poem?", "Here is a short poem about the sea."),
        ("How do I add numbers in Python?", "Use def add(a, b): return a + b."),
        ("I am feeling down.", "I'm sorry, that sounds hard."),
    ])
]

# 6 conversations x 2 assistant turns = 12 examples; batch 2 x accumulation 2 -> 3 steps
# per epoch; checkpoints at epochs 0.5, 1, 1.5, 2 -> steps 2, 3, 5, 6.
TINY_SFT = dict(per_device_batch_size=2, effective_batch_size=4, epochs=2.0,
                checkpoint_epochs=(0.5, 1, 1.5, 2), evaluate_epoch=1.0, max_length=96,
                learning_rate=1e-3)


@pytest.fixture(autouse=True)
def _one_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="session")
def persona_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("persona") / "conversations.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CONVERSATIONS))
    return str(path)


def env_for(workdir: Path, base_path: str, logs: list | None = None, seed: int = 0) -> TrainEnv:
    log = (lambda metrics, step: logs.append((step, dict(metrics)))) if logs is not None \
        else (lambda metrics, step: None)
    return TrainEnv(workdir=workdir, seed=seed, base_path=base_path, log_metrics=log)


@pytest.fixture(scope="session")
def tiny_job(tmp_path_factory, tiny_model_path, persona_file):
    """One finished sft-warm job on the tiny model: (variant, env, logged metrics)."""
    from warmreg.trainers.sft import SFTConfig, SFTWarm

    logs: list = []
    env = env_for(tmp_path_factory.mktemp("job"), tiny_model_path, logs)
    config = SFTConfig(data=persona_file, **TINY_SFT)
    with one_torch_thread():
        variant = SFTWarm(config).train(ModelSpec("tiny", tiny_model_path), "warm", env)
    return variant, env, logs
