"""The ``vllm`` backend without vLLM: serve mode against a stand-in ``vllm serve`` on
127.0.0.1, offline mode against a stand-in ``vllm`` module, and validation without it."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from warmreg.api import GenerationParams, ModelSpec, ModelVariant
from warmreg.backends.vllm import Config, VLLMBackend, adapter_name
from warmreg.config import build, without_engine_checks
from warmreg.errors import ConfigError

FAKE = str(Path(__file__).with_name("fake_vllm_serve.py"))
BASE = ModelVariant(ModelSpec("tiny", "base-model"), "original", "original")


def convs(n):
    return [[{"role": "user", "content": f"q{i}"}] for i in range(n)]


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_serve_mode_starts_loads_adapters_streams_chunks_and_stops(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("FAKE_VLLM_LOG", str(log))
    monkeypatch.setenv("FAKE_VLLM_DELAY", "0.5")  # /health fails until the "model" loads
    warm_dir, cold_dir = tmp_path / "warm", tmp_path / "cold"
    warm_dir.mkdir(), cold_dir.mkdir()
    warm = ModelVariant(BASE.model, "warm", "sft-warm", weights=str(warm_dir), weights_kind="lora")
    cold = ModelVariant(BASE.model, "cold", "sft-cold", weights=str(cold_dir), weights_kind="lora")
    backend = VLLMBackend(Config(mode="serve", command=(sys.executable, FAKE), chunk_size=3,
                                 tensor_parallel_size=4, max_lora_rank=8, concurrency=2))
    try:
        base_out = dict(backend.generate(BASE, convs(7), GenerationParams(max_new_tokens=4)))
        warm_out = dict(backend.generate(warm, convs(2), GenerationParams()))
        cold_out = dict(backend.generate(cold, convs(1), GenerationParams()))
        process = backend._engine.process
    finally:
        backend.release()
    assert process.poll() is not None  # the server warmreg started is stopped
    assert base_out == {i: base_out[i] for i in range(7)}
    assert base_out[6].text == "base-model: q6" and base_out[6].served_model == "base-model"
    assert warm_out[1].text == f"{adapter_name(warm)}: q1"
    assert cold_out[0].text == f"{adapter_name(cold)}: q0"
    entries = _log(log)
    argv = entries[0]["argv"]
    assert argv[0] == "base-model" and entries[0]["env"] == "True"
    assert argv[argv.index("--tensor-parallel-size") + 1] == "4" and "--enable-lora" in argv
    assert argv[argv.index("--max-lora-rank") + 1] == "8"
    lora = [(e["path"], e["body"]["lora_name"]) for e in entries if "lora" in e.get("path", "")]
    assert lora == [("/v1/load_lora_adapter", adapter_name(warm)),
                    ("/v1/unload_lora_adapter", adapter_name(warm)),
                    ("/v1/load_lora_adapter", adapter_name(cold))]


def test_serve_mode_reports_a_server_that_dies_before_it_is_healthy(tmp_path):
    backend = VLLMBackend(Config(mode="serve", command=(sys.executable, "-c", "raise SystemExit(3)")))
    with pytest.raises(Exception, match="exited with status 3 before it was healthy"):
        list(backend.generate(BASE, convs(1), GenerationParams()))


def test_offline_mode_one_lora_request_per_adapter_and_chunks(monkeypatch, tmp_path):
    calls = []

    class LLM:
        def __init__(self, **kwargs):
            calls.append(("init", kwargs))

        def chat(self, messages, sampling, lora_request=None, use_tqdm=False):
            calls.append(("chat", len(messages), lora_request))
            out = types.SimpleNamespace
            return [out(prompt_token_ids=[1, 2], outputs=[out(
                text=f"{m[-1]['content']}!", token_ids=[5], finish_reason="length")]) for m in messages]

    class LoRARequest(tuple):
        def __new__(cls, name, lora_id, path):
            return super().__new__(cls, (name, lora_id, path))

    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = LLM, lambda **kw: kw
    lora = types.ModuleType("vllm.lora.request")
    lora.LoRARequest = LoRARequest
    for name, module in {"vllm": vllm, "vllm.lora": types.ModuleType("vllm.lora"),
                         "vllm.lora.request": lora}.items():
        monkeypatch.setitem(sys.modules, name, module)
    warm = ModelVariant(BASE.model, "warm", "sft-warm", weights=str(tmp_path), weights_kind="lora")
    with without_engine_checks():
        backend = VLLMBackend(Config(tensor_parallel_size=2, dtype="bfloat16", chunk_size=4,
                                     gpu_memory_utilization=0.8, max_lora_rank=8))
    stream = backend.generate(warm, convs(10), GenerationParams(max_new_tokens=3))
    first = [next(stream) for _ in range(4)]  # the first chunk is out before the second runs
    assert [c[0] for c in calls] == ["init", "chat"] and first[3][1].text == "q3!"
    rest = dict(stream)
    again = dict(backend.generate(warm, convs(1), GenerationParams()))
    init = calls[0][1]
    assert (init["enable_lora"], init["tensor_parallel_size"], init["dtype"],
            init["gpu_memory_utilization"], init["max_lora_rank"]) == (True, 2, "bfloat16", 0.8, 8)
    chats = [c for c in calls if c[0] == "chat"]
    assert [c[1] for c in chats] == [4, 4, 2, 1]
    assert {c[2] for c in chats} == {(adapter_name(warm), 1, str(tmp_path))}
    assert rest[9].finish_reason == "length" and again[0].n_new_tokens == 1


def test_a_recipe_naming_vllm_fails_validate_without_it():
    pytest.importorskip("pytest")
    if __import__("importlib").util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    with pytest.raises(ConfigError, match=r"backend.*needs vLLM, which is not installed: pip "
                                          r"install 'warmreg\[vllm\]'"):
        build(Config, {"tensor_parallel_size": 2}, "r.yaml: backend")
    with pytest.raises(ConfigError, match="'no-such-vllm' is not on PATH"):
        build(Config, {"mode": "serve", "command": ["no-such-vllm", "serve"]}, "r.yaml: backend")
    with without_engine_checks():  # warmreg plan / validate --no-engines
        assert build(Config, {"tensor_parallel_size": 2}, "r.yaml: backend").tensor_parallel_size == 2


def test_fingerprint_follows_numerics_not_batching():
    with without_engine_checks():
        fp = VLLMBackend(Config()).fingerprint()
        assert fp == VLLMBackend(Config(max_num_seqs=8, chunk_size=3, mode="serve")).fingerprint()
        assert fp != VLLMBackend(Config(dtype="float16")).fingerprint()
