"""The ``hf`` backend's decoding engines, batch sizing and out-of-memory back-off.

Two engines yield ``(index, tokens, finish_reason)`` as replies complete:
``slab`` (:class:`~warmreg.backends.decode.SlabDecoder`) and ``generate``
(``model.generate`` on length-sorted, left-padded batches: what lm-evaluation-harness
does). Tokens include the stop token when the reply stopped.
"""

from __future__ import annotations

import os
from typing import Iterator, Sequence

import torch

from warmreg.api import GenerationParams, content_hash
from warmreg.backends.decode import Row, SlabDecoder, unsupported_reason

# SmolLM2 on one CPU thread decodes 244 rows/s at 64 rows per step and 295 at 128; 96
# prompts took 12% less CPU time in one wave than in batches of 64 (benchmarks/README.md).
CPU_BATCH = 128
MAX_AUTO_BATCH = 512  # on CUDA
# On CPU, decoding is compute-bound well before memory runs out: past ~64-128 rows a
# larger batch adds little speed, so "auto" sizes the KV cache to the work (its rows at
# their real length) within a fixed budget, never to the machine's free RAM. 1 GiB holds
# ~70 SmolLM2 rows of 250 tokens in float32.
CPU_KV_BUDGET = 2**30
CPU_MEMORY_SHARE = 0.25  # of available RAM, when that is less than CPU_KV_BUDGET
CUDA_MEMORY_SHARE = 0.7  # of free GPU memory the KV cache and logits may take on "auto"

Result = tuple[int, list[int], str]


def run(model, tokenizer, prompts: Sequence[list[int]], params: GenerationParams,
        stop: Sequence[int], config) -> Iterator[Result]:
    """Yield every prompt's reply; on CUDA out-of-memory halve the batch and go on."""
    if params.max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {params.max_new_tokens}")
    engine = choose(model, config.engine)
    remaining = dict(enumerate(prompts))
    slots = batch_size(model, prompts, params, config)
    while remaining:
        try:
            for index, tokens, reason in engine(model, tokenizer, dict(remaining), params,
                                                stop, slots, config):
                del remaining[index]
                yield index, tokens, reason
        except RuntimeError as exc:  # torch.OutOfMemoryError is a RuntimeError
            if "out of memory" not in str(exc).lower() or slots == 1:
                raise
            slots //= 2
            if torch.cuda.is_available():
                torch.cuda.empty_cache()


def choose(model, name: str):
    """The engine function for ``name`` ("auto" takes the slab when the model qualifies)."""
    reason = unsupported_reason(model)
    if name == "slab" and reason:
        raise ValueError(f"engine 'slab' cannot run this model: {reason}")
    if name == "generate" or (name == "auto" and reason):
        return generate_batches
    return slab


def batch_size(model, prompts, params: GenerationParams, config) -> int:
    """Rows decoded together: the config's, or on "auto" as many as the prompts need and
    the KV budget holds (70% of free GPU memory; on CPU a fixed budget, see CPU_KV_BUDGET)."""
    longest = max((len(p) for p in prompts), default=1) + params.max_new_tokens
    device = next(model.parameters()).device
    if config.batch_size != "auto":
        n = config.batch_size
    elif device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        n = min(MAX_AUTO_BATCH, rows_fitting(model, longest, CUDA_MEMORY_SHARE * free))
    else:
        budget = min(CPU_KV_BUDGET, CPU_MEMORY_SHARE * _available_ram())
        n = min(CPU_BATCH, rows_fitting(model, longest, budget))
    if config.max_batch_tokens:
        n = min(n, config.max_batch_tokens // longest)
    return max(1, min(n, len(prompts)))


def rows_fitting(model, length: int, budget: float) -> int:
    """Rows whose KV cache (``length`` tokens, with the slab's slack) and logits fit."""
    c = model.config
    heads = getattr(c, "num_key_value_heads", None) or c.num_attention_heads
    head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    itemsize = torch.finfo(model.dtype).bits // 8
    per_row = 2 * c.num_hidden_layers * heads * head_dim * itemsize * length * 1.25
    per_row += 4 * c.vocab_size * 4  # float32 logits and sampling scratch
    return max(1, int(budget / per_row))


def _available_ram() -> float:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def row_seed(seed: int, prompt: Sequence[int]) -> int:
    """A sampling seed for one prompt: independent of batching, order and resumption."""
    return int(content_hash(seed, list(prompt))[:15], 16)


def picker(params: GenerationParams):
    """``(logits, rows) -> tokens``: argmax at temperature 0, else seeded top-p sampling."""
    if params.temperature == 0:
        # max().indices: the first maximum like argmax, and ~3x faster on CPU
        return lambda logits, rows: logits.max(dim=-1).indices.cpu()

    def sample(logits: torch.Tensor, rows: Sequence[Row]) -> torch.Tensor:
        probs = torch.softmax(logits.float() / params.temperature, dim=-1)
        if params.top_p < 1.0:
            sorted_p, order = probs.sort(dim=-1, descending=True)
            sorted_p[(sorted_p.cumsum(-1) - sorted_p) > params.top_p] = 0.0
            probs = torch.zeros_like(probs).scatter_(-1, order, sorted_p)
        return torch.stack([torch.multinomial(probs[i], 1, generator=row.generator)[0]
                            for i, row in enumerate(rows)]).cpu()

    return sample


def slab(model, tokenizer, prompts: dict, params, stop, slots, config) -> Iterator[Result]:
    device = next(model.parameters()).device
    rows = [Row(index, ids) for index, ids in prompts.items()]
    if params.temperature != 0:
        for row in rows:
            row.generator = torch.Generator(device).manual_seed(row_seed(params.seed, row.prompt))
    decoder = SlabDecoder(model, slots, params.max_new_tokens, stop, picker(params),
                          tokenizer.pad_token_id, config.prefill_tokens)
    for row, reason in decoder.run(rows):
        yield row.index, row.tokens, reason


def generate_batches(model, tokenizer, prompts: dict, params, stop, slots,
                     config) -> Iterator[Result]:
    """``model.generate`` on length-sorted, left-padded batches of ``slots`` rows."""
    from transformers import GenerationConfig

    sampling = params.temperature != 0
    gen = GenerationConfig(max_new_tokens=params.max_new_tokens, do_sample=sampling,
                           temperature=params.temperature if sampling else None,
                           top_p=params.top_p if sampling else None, top_k=0 if sampling else None,
                           pad_token_id=tokenizer.pad_token_id, eos_token_id=list(stop))
    order = sorted(prompts, key=lambda i: len(prompts[i]))
    device = next(model.parameters()).device
    for b in range(0, len(order), slots):
        batch = order[b:b + slots]
        enc = tokenizer.pad({"input_ids": [prompts[i] for i in batch]}, return_tensors="pt")
        if sampling:
            torch.manual_seed(row_seed(params.seed, [prompts[i] for i in batch]))
        with torch.no_grad():
            out = model.generate(**enc.to(device), generation_config=gen)
        for index, new in zip(batch, out[:, enc["input_ids"].shape[1]:].tolist()):
            yield (index, *_cut(new, stop, params.max_new_tokens))


def _cut(tokens: list[int], stop, limit: int) -> tuple[list[int], str]:
    """Tokens up to and including the first stop token (generate pads after it)."""
    for i, token in enumerate(tokens):
        if token in stop:
            return tokens[:i + 1], "stop"
    return tokens[:limit], "length"
