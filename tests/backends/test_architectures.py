"""The slab decoder on each architecture it accepts: the same greedy tokens as generate."""

from __future__ import annotations

import pytest

from tests.backends.conftest import conversations
from tests.backends.test_hf import reference, run, variant
from warmreg.api import GenerationParams
from warmreg.backends import _engines
from warmreg.backends.decode import SUPPORTED
from warmreg.backends.hf import Config, HFBackend

TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=512, initializer_range=0.3)
EXTRA = {"mistral": dict(sliding_window=None), "phi3": dict(sliding_window=None)}


@pytest.fixture(scope="module")
def tokenizer(tiny_model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path)


@pytest.mark.parametrize("model_type", sorted(SUPPORTED - {"llama"}))
def test_slab_matches_generate(model_type, tokenizer, tmp_path):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(model_type, vocab_size=len(tokenizer), **TINY,
                                  **EXTRA.get(model_type, {}),
                                  bos_token_id=tokenizer.bos_token_id,
                                  eos_token_id=tokenizer.eos_token_id,
                                  pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    v = variant(str(tmp_path))
    backend = HFBackend(Config(engine="slab", batch_size=3, prefill_tokens=64))
    model, _ = backend.load(v)
    assert _engines.choose(model, "auto") is _engines.slab
    convs = conversations(7, "You are a helpful assistant.")
    params = GenerationParams(max_new_tokens=12)
    assert run(backend, v, convs, params) == reference(backend, v, convs, params)
