"""``hf``: generate locally with transformers.

The model of a variant is loaded once and kept until a different variant comes: the
base from :func:`warmreg.models.resolve`, then the variant's weights (a LoRA adapter,
merged by default, or a full-weights directory). Prompts are rendered with the
tokenizer's chat template (``add_generation_prompt=True``); the runner has already put
the variant's system prompt in the conversation.

Decoding runs on :class:`~warmreg.backends.decode.SlabDecoder` (continuous batching over
an in-place KV cache, finished rows evicted) when the architecture qualifies, else on
``model.generate`` over length-sorted, left-padded batches. Both give the same greedy
tokens as one ``generate`` call per prompt, up to float rounding between batch shapes.
Sampling seeds each prompt from ``params.seed`` and its tokens, so a sample does not
depend on batching, order or resumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Literal, Sequence

from warmreg import models
from warmreg.api import Generation, GenerationParams, Message, ModelVariant, content_hash
from warmreg.errors import WarmregError


@dataclass(frozen=True)
class Config:
    """Settings of the ``hf`` backend (the recipe's ``backend`` section)."""

    # Weights dtype; "auto" is float32 on CPU and bfloat16 on CUDA; "fast" is bfloat16 where
    # the device computes it natively (CUDA; CPUs with AVX512-BF16, AMX or Arm BF16: about
    # twice float32's speed), else float32. The resolved dtype is part of the cache key.
    dtype: Literal["auto", "float32", "bfloat16", "float16", "fast"] = "auto"
    # "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
    device: str = field(default="auto", metadata={"device": True})
    # On CUDA ("auto" or "cuda"), place a model too large for one GPU over the next GPUs
    # and then CPU memory (device_map="sequential"); False keeps it on one device.
    shard: bool = True
    # Memory each device may hold when sharding, e.g. {"0": "70GiB", "1": "70GiB",
    # "cpu": "200GiB"}; None lets accelerate measure. Leave room for the KV cache.
    max_memory: dict[str, str] | None = None
    # Rows decoded together; "auto": as many as the prompts, within a KV-cache budget
    # (70% of free GPU memory, at most 512 rows; on CPU 1 GiB or 25% of free RAM if less,
    # at most 128 rows: decoding on CPU is compute-bound, more rows buy little), halved on
    # CUDA out-of-memory.
    batch_size: int | Literal["auto"] = field(default="auto", metadata={"min": 1})
    # Optional cap on batch rows x (longest prompt + max_new_tokens): bounds the KV cache.
    max_batch_tokens: int | None = field(default=None, metadata={"min": 1})
    # Most prompt tokens (rows x padded length) in one prefill pass of the slab decoder.
    prefill_tokens: int = field(default=2048, metadata={"min": 1})
    # "slab": continuous batching (decode.py); "generate": model.generate on sorted
    # batches; "auto": slab when the architecture qualifies.
    engine: Literal["auto", "slab", "generate"] = "auto"
    # Merge a LoRA adapter into the weights (faster) rather than keep it attached.
    merge_adapter: bool = True
    # Attention kernel passed to from_pretrained.
    attn_implementation: Literal["sdpa", "eager"] = "sdpa"
    # torch CPU threads (process-wide); None leaves torch's choice. On cores shared with
    # other work, 1 thread can be several times faster than 2.
    threads: int | None = field(default=None, metadata={"min": 1, "max": 4096})

    def __post_init__(self):
        if self.batch_size != "auto" and self.batch_size < 1:
            raise ValueError("batch_size must be positive or 'auto'")
        if self.prefill_tokens < 1:
            raise ValueError("prefill_tokens must be positive")


class HFBackend:
    """Local generation with transformers; see the module docstring."""

    Config = Config

    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self._loaded: tuple | None = None  # (variant key, model, tokenizer)
        self._fingerprint: str | None = None

    def fingerprint(self) -> str:
        """Hash of what changes outputs: resolved dtype and device type, adapter handling.

        Batch size and engine are left out: they change outputs only by float rounding.
        """
        if self._fingerprint is None:
            device = self._device()
            self._fingerprint = content_hash("hf", self._dtype_name(device), device.split(":")[0],
                                             self.config.merge_adapter,
                                             self.config.attn_implementation)
        return self._fingerprint

    def generate(self, variant: ModelVariant, conversations: Sequence[Sequence[Message]],
                 params: GenerationParams) -> Iterator[tuple[int, Generation]]:
        """Yield ``(index, Generation)`` for each conversation as its reply completes."""
        from warmreg.backends import _engines

        model, tokenizer = self.load(variant)
        if self.config.threads:
            import torch

            torch.set_num_threads(self.config.threads)
        prompts = encode(tokenizer, conversations)
        stop = stop_ids(model, tokenizer)
        # the slab's KV cache lives on one device; a sharded model decodes with generate
        config = replace(self.config, engine="generate") if models.is_sharded(model) else self.config
        for index, tokens, reason in _engines.run(model, tokenizer, prompts, params, stop, config):
            text = tokenizer.decode(tokens[:-1] if reason == "stop" else tokens,
                                    skip_special_tokens=True)
            yield index, Generation(text=text, n_prompt_tokens=len(prompts[index]),
                                    n_new_tokens=len(tokens), finish_reason=reason)

    def load(self, variant: ModelVariant):
        """The variant's ``(model, tokenizer)``, loaded once and kept until another comes."""
        key = variant.fingerprint or content_hash(variant.model.path, variant.weights,
                                                  variant.weights_kind)
        if self._loaded is None or self._loaded[0] != key:
            self.release()
            self._loaded = (key, *self._load(variant))
        return self._loaded[1:]

    def release(self) -> None:
        """Drop the loaded model and free its memory."""
        self._loaded = None
        models.trim_memory()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _load(self, variant: ModelVariant):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        base = models.resolve(variant.model.path)
        kind = _weights_kind(variant)
        path = variant.weights if kind == "full" else base
        has_tokenizer = variant.weights and (Path(variant.weights) / "tokenizer_config.json").exists()
        tokenizer = AutoTokenizer.from_pretrained(variant.weights if has_tokenizer else base)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(
            path, attn_implementation=self.config.attn_implementation,
            **models.load_kwargs(self.config.dtype, self.config.device, self.config.shard,
                                 self.config.max_memory))
        if kind == "lora":
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, variant.weights)
            if self.config.merge_adapter:
                model = model.merge_and_unload()
        return model.eval(), tokenizer

    def _device(self) -> str:
        if self.config.device != "auto":
            return self.config.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def _dtype_name(self, device: str) -> str:
        return models.resolve_dtype(self.config.dtype, device)


def _weights_kind(variant: ModelVariant) -> str:
    if not variant.weights:
        return ""
    kind = variant.weights_kind or (
        "lora" if (Path(variant.weights) / "adapter_config.json").exists() else "full")
    if kind == "served":
        raise WarmregError(f"variant {variant.variant!r} lives at a provider "
                           f"({variant.served_model()}); evaluate it with the openai backend")
    if kind not in ("lora", "full"):
        raise WarmregError(f"variant {variant.variant!r}: weights_kind must be 'lora' or 'full', "
                           f"got {kind!r}")
    return kind


def encode(tokenizer, conversations: Sequence[Sequence[Message]]) -> list[list[int]]:
    """Token ids of each conversation under the chat template, ready for the reply."""
    if not tokenizer.chat_template:
        raise WarmregError(f"tokenizer of {tokenizer.name_or_path!r} has no chat template; "
                           "use an instruction-tuned model or one whose tokenizer sets one")
    texts = [tokenizer.apply_chat_template([dict(m) for m in conv], tokenize=False,
                                           add_generation_prompt=True)
             for conv in conversations]
    if not texts:
        return []
    # the template already holds any BOS token
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def stop_ids(model, tokenizer) -> list[int]:
    """End-of-sequence ids: the generation config's (end of turn) and the tokenizer's."""
    ids = model.generation_config.eos_token_id
    ids = [] if ids is None else [ids] if isinstance(ids, int) else list(ids)
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids
