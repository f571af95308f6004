"""Model resolution: the tiny model builds deterministically; sizes read from configs."""

from pathlib import Path

import pytest

from conftest import requires_smollm2
from warmreg import models


def test_tiny_model_has_a_chat_template(tiny_model_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    text = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                   add_generation_prompt=True)
    assert text == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"


def test_tiny_model_is_built_identically(tmp_path, tiny_model_path):
    other = models.tiny_model(tmp_path / "again")
    a = (Path(tiny_model_path) / "tokenizer.json").read_text()
    b = (other / "tokenizer.json").read_text()
    assert a == b


def test_describe_counts_parameters_without_loading(tiny_model_path):
    info = models.describe(tiny_model_path)
    assert info["family"] == "llama"
    assert 50_000 < info["n_params"] < 500_000 and info["size"].endswith("K")


@pytest.mark.parametrize("n, text", [(134_515_008, "135M"), (7_240_000_000, "7.2B"),
                                     (70_000_000_000, "70B"), (999, "999")])
def test_human_size(n, text):
    assert models.human_size(n) == text


def test_local_directories_and_hub_ids_pass_through(tmp_path):
    assert models.resolve(str(tmp_path)) == str(tmp_path)
    assert models.resolve("someone/some-model") == "someone/some-model"


@requires_smollm2
@pytest.mark.slow
def test_smollm2_resolves_offline_to_a_plain_directory():
    path = Path(models.resolve(models.SMOLLM2))
    assert (path / "config.json").exists()
    assert "quantization_config" not in (path / "config.json").read_text()
    assert models.describe(str(path))["size"] == "135M"


X86_BF16 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
X86_NO_BF16 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n"
ARM_BF16 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"


@pytest.mark.parametrize("cpuinfo, native", [(X86_BF16, True), (X86_NO_BF16, False),
                                             (ARM_BF16, True), ("", False),
                                             ("model name\t: bf16 lookalike\n", False)])
def test_native_bf16_is_read_from_the_cpu_flags(cpuinfo, native):
    assert models.cpuinfo_has_bf16(cpuinfo) is native


@pytest.mark.parametrize("native, expected", [(True, "bfloat16"), (False, "float32")])
def test_fast_dtype_is_bfloat16_only_where_the_cpu_has_it(monkeypatch, native, expected):
    monkeypatch.setattr(models, "native_bf16", lambda device="cpu": native)
    assert models.resolve_dtype("fast", "cpu") == expected
    assert models.resolve_dtype("auto", "cpu") == "float32"  # "auto" keeps its meaning
    assert models.resolve_dtype("auto", "cuda:1") == "bfloat16"
    assert models.resolve_dtype("float16", "cpu") == "float16"
    import torch

    assert models.load_kwargs("fast", "cpu")["dtype"] == getattr(torch, expected)
