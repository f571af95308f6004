"""Baselines for ``bench_generate.py``: how others generate with transformers.

- :func:`naive`: one ``model.generate`` per prompt (no padding, no batching);
- :func:`sorted_batches`: ``model.generate`` on left-padded batches of prompts sorted by
  length, what lm-evaluation-harness's HF backend does;
- :func:`lm_eval_generate`: lm-evaluation-harness's own ``HFLM.generate_until``, when
  ``lm_eval`` is importable (it lives in the benchmark's own environment, see README).

Each returns ``{index: new token ids}`` (cut after the first stop token) or texts.
Deliberately independent of ``warmreg.backends``: the reference must not share its code.
"""

from __future__ import annotations

from typing import Sequence

import torch


def _cut(tokens: list[int], stop: set[int]) -> list[int]:
    for i, token in enumerate(tokens):
        if token in stop:
            return tokens[:i + 1]
    return tokens


@torch.no_grad()
def naive(model, prompts: Sequence[list[int]], max_new: int, stop: Sequence[int],
          pad_id: int) -> dict[int, list[int]]:
    """One greedy ``generate`` per prompt."""
    out = {}
    for i, ids in enumerate(prompts):
        new = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             max_new_tokens=max_new, do_sample=False,
                             eos_token_id=list(stop), pad_token_id=pad_id)
        out[i] = _cut(new[0, len(ids):].tolist(), set(stop))
    return out


@torch.no_grad()
def sorted_batches(model, prompts: Sequence[list[int]], max_new: int, stop: Sequence[int],
                   pad_id: int, batch: int) -> dict[int, list[int]]:
    """Greedy ``generate`` on left-padded batches of length-sorted prompts."""
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    out = {}
    for b in range(0, len(order), batch):
        rows = order[b:b + batch]
        width = max(len(prompts[i]) for i in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            ids[r, width - len(prompts[i]):] = torch.tensor(prompts[i])
            mask[r, width - len(prompts[i]):] = 1
        new = model.generate(ids, attention_mask=mask, max_new_tokens=max_new, do_sample=False,
                             eos_token_id=list(stop), pad_token_id=pad_id)
        for r, i in enumerate(rows):
            out[i] = _cut(new[r, width:].tolist(), set(stop))
    return out


def lm_eval_model(model_dir: str, batch_size: int | str, max_length: int | None = None):
    """lm-evaluation-harness's ``HFLM`` on CPU in float32 (loading is not timed).

    ``max_length`` caps the context; its "auto" batch size probes batches of that many
    tokens (by default the model's: 8192 for SmolLM2, which takes hours on CPU).
    """
    from lm_eval.models.huggingface import HFLM

    extra = {"max_length": max_length} if max_length else {}
    return HFLM(pretrained=model_dir, device="cpu", dtype="float32", batch_size=batch_size,
                **extra)


def lm_eval_generate(lm, texts: Sequence[str], max_new: int, until: Sequence[str]) -> list[str]:
    """``HFLM.generate_until`` on chat-templated ``texts``, greedy."""
    from lm_eval.api.instance import Instance

    requests = [Instance(request_type="generate_until", doc={}, idx=i,
                         arguments=(text, {"until": list(until), "max_gen_toks": max_new,
                                           "do_sample": False}))
                for i, text in enumerate(texts)]
    return lm.generate_until(requests)
