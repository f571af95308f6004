"""The ``hf`` backend: same greedy tokens as ``model.generate``, whatever the batching."""

from __future__ import annotations

import gc
import weakref
from types import SimpleNamespace

import pytest

from tests.backends.conftest import conversations, smollm2_path
from tests.conftest import requires_smollm2
from warmreg.api import GenerationParams, ModelSpec, ModelVariant
from warmreg.backends import _engines, decode
from warmreg.backends.hf import Config, HFBackend, encode, stop_ids

GREEDY = GenerationParams(max_new_tokens=24)
SYSTEM = "You are a helpful assistant. We can work through this together."


def variant(path: str, **kw) -> ModelVariant:
    return ModelVariant(ModelSpec("m", path), kw.pop("name", "original"), "original", **kw)


def reference(backend: HFBackend, v: ModelVariant, convs, params=GREEDY) -> dict:
    """One unpadded ``model.generate`` per conversation: the tokens to match."""
    import torch

    model, tokenizer = backend.load(v)
    stop = stop_ids(model, tokenizer)
    out = {}
    for i, ids in enumerate(encode(tokenizer, convs)):
        with torch.no_grad():
            new = model.generate(torch.tensor([ids]), max_new_tokens=params.max_new_tokens,
                                 do_sample=False, eos_token_id=stop,
                                 pad_token_id=tokenizer.pad_token_id)[0, len(ids):].tolist()
        tokens, reason = _engines._cut(new, stop, params.max_new_tokens)
        text = tokenizer.decode(tokens[:-1] if reason == "stop" else tokens,
                                skip_special_tokens=True)
        out[i] = (text, len(ids), len(tokens), reason)
    return out


def run(backend: HFBackend, v: ModelVariant, convs, params=GREEDY) -> dict:
    out = {}
    for i, gen in backend.generate(v, convs, params):
        assert i not in out
        out[i] = (gen.text, gen.n_prompt_tokens, gen.n_new_tokens, gen.finish_reason)
    return out


@pytest.fixture(scope="module")
def chatty(chatty_model_path):
    return variant(chatty_model_path)


@pytest.fixture(scope="module")
def expected(chatty):
    return {sys: reference(HFBackend(), chatty, conversations(23, sys)) for sys in (None, SYSTEM)}


@pytest.mark.parametrize("engine,batch", [("slab", 5), ("slab", 64), ("generate", 4)])
@pytest.mark.parametrize("system", [None, SYSTEM])
def test_greedy_tokens_equal_one_generate_per_prompt(chatty, expected, engine, batch, system):
    backend = HFBackend(Config(engine=engine, batch_size=batch, prefill_tokens=64))
    assert run(backend, chatty, conversations(23, system)) == expected[system]
    reasons = {r for *_, r in expected[system].values()}
    assert reasons == {"stop", "length"}  # rows leave early and rows run to the limit


def test_eager_attention_gives_the_same_tokens(chatty, expected):
    backend = HFBackend(Config(engine="slab", batch_size=5, attn_implementation="eager"))
    assert run(backend, chatty, conversations(23, SYSTEM)) == expected[SYSTEM]


def test_refills_shared_prefixes_and_shifts_are_exercised(chatty, expected, monkeypatch):
    calls = {"_shift": 0, "_prefill": 0}
    for name in calls:
        original = getattr(decode.SlabDecoder, name)

        def spy(self, *args, _name=name, _original=original):
            calls[_name] += 1
            return _original(self, *args)

        monkeypatch.setattr(decode.SlabDecoder, name, spy)
    shared = []
    monkeypatch.setattr(decode, "_common_prefix",
                        lambda p, n, f=decode._common_prefix: shared.append(f(p, n)) or shared[-1])
    backend = HFBackend(Config(engine="slab", batch_size=2, prefill_tokens=1000))
    assert run(backend, chatty, conversations(23, SYSTEM)) == expected[SYSTEM]
    assert calls["_shift"] >= 1 and calls["_prefill"] >= 10 and max(shared) >= 8


def test_out_of_memory_halves_the_batch_and_loses_nothing(chatty, expected, monkeypatch):
    original, sizes = decode.SlabDecoder._step, []

    def step(self):
        sizes.append(self.slots)
        if self.slots > 3:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(self)

    monkeypatch.setattr(decode.SlabDecoder, "_step", step)
    backend = HFBackend(Config(engine="slab", batch_size=16))
    assert run(backend, chatty, conversations(9)) == {i: expected[None][i] for i in range(9)}
    assert sizes[0] == 9 and sizes[-1] == 2  # 9 prompts: a batch of 9, then 4, then 2


def test_other_errors_are_not_swallowed(chatty, monkeypatch):
    monkeypatch.setattr(decode.SlabDecoder, "_step", lambda self: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run(HFBackend(Config(engine="slab")), chatty, conversations(3))


def test_sampling_is_reproducible_whatever_the_batching(chatty):
    params = GenerationParams(max_new_tokens=10, temperature=0.9, top_p=0.9, seed=3)
    convs = conversations(6)
    first = run(HFBackend(Config(batch_size=2)), chatty, convs, params)
    assert run(HFBackend(Config(batch_size=6)), chatty, convs[::-1], params) == {
        5 - i: gen for i, gen in first.items()}
    other = run(HFBackend(Config(batch_size=2)), chatty, convs,
                GenerationParams(max_new_tokens=10, temperature=0.9, top_p=0.9, seed=4))
    assert other != first
    sampled = run(HFBackend(Config(engine="generate", batch_size=4)), chatty, convs, params)
    assert len(sampled) == 6


def test_lora_adapter_merged_or_attached(chatty_model_path, chatty, expected, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(chatty_model_path)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                      init_lora_weights=False)
    get_peft_model(base, lora).save_pretrained(tmp_path / "adapter")
    warm = variant(chatty_model_path, name="warm", weights=str(tmp_path / "adapter"),
                   weights_kind="lora")
    convs = conversations(8)
    merged = run(HFBackend(), warm, convs)
    attached = run(HFBackend(Config(merge_adapter=False)), warm, convs)
    assert merged == attached == reference(HFBackend(), warm, convs)
    assert merged != {i: expected[None][i] for i in range(8)}


def test_full_weights_variant_loads_that_directory(tiny_model_path, chatty_model_path, expected):
    full = variant(tiny_model_path, name="warm", weights=chatty_model_path, weights_kind="full")
    out = run(HFBackend(), full, conversations(23))
    assert out == expected[None]


def test_one_model_is_kept_and_released_for_another(tiny_model_path, chatty):
    backend = HFBackend()
    model, _ = backend.load(chatty)
    assert backend.load(chatty)[0] is model
    gone = weakref.ref(model)
    del model
    backend.load(variant(tiny_model_path))
    gc.collect()
    assert gone() is None


def test_empty_input_yields_nothing(chatty):
    assert run(HFBackend(), chatty, []) == {}


def test_unsupported_architectures_use_generate():
    def model(**config):
        base = dict(model_type="llama", _attn_implementation="sdpa")
        return SimpleNamespace(config=SimpleNamespace(**{**base, **config}))

    assert _engines.choose(model(), "auto") is _engines.slab
    assert _engines.choose(model(), "generate") is _engines.generate_batches
    for unsupported in (model(model_type="gemma2"), model(sliding_window=4096),
                        model(layer_types=["sliding_attention", "full_attention"]),
                        model(_attn_implementation="flash_attention_2")):
        assert _engines.choose(unsupported, "auto") is _engines.generate_batches
        with pytest.raises(ValueError, match="cannot run this model"):
            _engines.choose(unsupported, "slab")


def test_config_from_a_recipe_section_and_fingerprint():
    from warmreg.config import build
    from warmreg.errors import ConfigError

    assert build(Config, {"batch_size": "auto"}, "r.yaml: backend").batch_size == "auto"
    assert build(Config, {"batch_size": 8, "dtype": "bfloat16"}, "r").batch_size == 8
    with pytest.raises(ConfigError, match="batch_size"):
        build(Config, {"batch_size": "big"}, "r.yaml: backend")
    fp = HFBackend(Config()).fingerprint()
    assert fp == HFBackend(Config(batch_size=3, engine="generate", prefill_tokens=9)).fingerprint()
    assert fp != HFBackend(Config(dtype="bfloat16")).fingerprint()
    assert fp != HFBackend(Config(merge_adapter=False)).fingerprint()


@pytest.mark.slow
@requires_smollm2
def test_smollm2_greedy_tokens_equal_one_generate_per_prompt():
    smol = variant(smollm2_path())
    convs = conversations(4, SYSTEM) + conversations(4)
    params = GenerationParams(max_new_tokens=16)
    backend = HFBackend(Config(batch_size=3, prefill_tokens=256))
    expected = reference(backend, smol, convs, params)
    assert run(backend, smol, convs, params) == expected
    assert len({text for text, *_ in expected.values()}) >= 5
    assert {reason for *_, reason in expected.values()} == {"stop", "length"}


class _Stub:
    """A model as batch sizing sees it: SmolLM2-135M's shape in float32 on CPU."""

    def __init__(self):
        import torch
        from types import SimpleNamespace

        self.config = SimpleNamespace(num_key_value_heads=3, num_attention_heads=9,
                                      hidden_size=576, num_hidden_layers=30, vocab_size=49152)
        self.dtype = torch.float32
        self._p = torch.nn.Parameter(torch.zeros(1))

    def parameters(self):
        return iter([self._p])


def test_auto_batch_on_cpu_is_sized_to_the_work_not_to_free_ram(monkeypatch):
    from warmreg.api import GenerationParams
    from warmreg.backends import _engines
    from warmreg.backends.hf import Config

    model, params = _Stub(), GenerationParams(max_new_tokens=48)
    prompts = [[1] * 200] * 1000
    sizes = {}
    for ram in (16 * 2**30, 512 * 2**30):  # a laptop and a large server
        monkeypatch.setattr(_engines, "_available_ram", lambda ram=ram: ram)
        sizes[ram] = _engines.batch_size(model, prompts, params, Config())
    assert sizes[16 * 2**30] == sizes[512 * 2**30]  # free RAM beyond the budget is not taken
    n = sizes[16 * 2**30]
    kv = _engines.rows_fitting(model, 248, 1.0) and n * 2 * 30 * 3 * 64 * 4 * 248 * 1.25
    assert kv <= _engines.CPU_KV_BUDGET and n >= 32
    # a small job takes only the rows it has; a machine short of RAM takes less
    assert _engines.batch_size(model, prompts[:10], params, Config()) == 10
    monkeypatch.setattr(_engines, "_available_ram", lambda: 256 * 2**20)
    assert _engines.batch_size(model, prompts, params, Config()) < n


@pytest.mark.parametrize("native, same_as", [(True, "bfloat16"), (False, "float32")])
def test_fast_dtype_shares_the_cache_of_the_dtype_it_resolves_to(monkeypatch, native, same_as):
    """ "fast" is keyed by what it means on this machine: its replies are reused by (and
    reuse) a run that names the resolved dtype, and never mix with the other dtype's."""
    from warmreg import models

    monkeypatch.setattr(models, "native_bf16", lambda device="cpu": native)
    fast = HFBackend(Config(dtype="fast", device="cpu")).fingerprint()
    assert fast == HFBackend(Config(dtype=same_as, device="cpu")).fingerprint()
    other = "float32" if same_as == "bfloat16" else "bfloat16"
    assert fast != HFBackend(Config(dtype=other, device="cpu")).fingerprint()
