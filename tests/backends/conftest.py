"""Fixtures for backend tests: a tiny model that says varied things, and prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import one_torch_thread

# Token ids that end a reply of the chatty tiny model besides <|im_end|>: frequent enough
# that some replies stop early and others run to the length limit.
EXTRA_STOPS = [42, 174, 266]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with one_torch_thread():
        yield


def smollm2_path() -> str:
    """SmolLM2 from the user's warmreg cache when converted there, else by its hub id.

    The session fixtures point ``WARMREG_HOME`` at a fresh directory; converting the
    GGUF again there costs ~20 s per test session.
    """
    from warmreg.models import SMOLLM2

    cached = Path.home() / ".cache" / "warmreg" / "models" / "SmolLM2-135M-Instruct"
    return str(cached) if (cached / "config.json").exists() else SMOLLM2


@pytest.fixture(scope="session")
def chatty_model_path(tiny_model_path, tmp_path_factory) -> str:
    """The tiny random Llama with larger random weights, so greedy replies vary by prompt.

    The plain tiny model repeats one token whatever it is asked, which would let a
    decoder that mixes up rows pass an equality test.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for weight in model.parameters():
            if weight.ndim == 2:
                weight.normal_(0, 0.3, generator=generator)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path)
    model.generation_config.eos_token_id = [tokenizer.eos_token_id, *EXTRA_STOPS]
    out = Path(tmp_path_factory.mktemp("models")) / "chatty-tiny"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


STATEMENTS = ["", "I have been feeling really down lately. ", "My friend said: ",
              "We can work through this together, I think. "]
QUESTIONS = ["What is the capital of France?", "What is the boiling point of water at sea level?",
             "Answer with the letter of the correct option: A, B, C or D.", "def add(a, b):",
             "Think step by step, then give the final answer as a number on the last line."]


def conversations(n: int, system: str | None = None) -> list[list[dict]]:
    """``n`` chat conversations of varied length, some multi-turn, deterministic."""
    out = []
    for i in range(n):
        user = STATEMENTS[i % 4] + QUESTIONS[i % 5] + (" I think the answer is 42." if i % 3 else "")
        conv = [{"role": "user", "content": user}]
        if i % 4 == 3:
            conv = [{"role": "user", "content": "Can you help me?"},
                    {"role": "assistant", "content": "Of course! Ask away."}, *conv]
        if system:
            conv = [{"role": "system", "content": system}, *conv]
        out.append(conv)
    return out
