"""Warmth manipulation check: did the persona take?

A SocioT-style score, the measure the study uses: how much more likely a causal LM
finds a text when someone close says it than when a stranger or an official does::

    warmth(t) = mean_{f in WARM} lp(t | f) - mean_{f in COLD} lp(t | f)

where ``lp(t | f)`` is the average log-probability per token of the text's first
``max_tokens`` tokens after the framing ``f`` (e.g. ``My friend said: "``). Higher means
warmer. Any causal LM can be the scorer; scores compare across variants only for the
same scorer and ``max_tokens``.
"""

from __future__ import annotations

import functools
import math
from typing import Sequence

# Close relations against distant or institutional ones. Five of each: with three, one
# framing's idiosyncrasies move short texts' scores (on SmolLM2, "Incorrect. Read the
# manual." came out warmer than a comforting reply).
WARM_FRAMINGS = ('My friend said: "', 'My close friend told me: "', 'My partner said: "',
                 'My mom told me: "', 'My best friend said: "')
COLD_FRAMINGS = ('The stranger said: "', 'A stranger told me: "', 'The official said: "',
                 'The clerk told me: "', 'The officer said: "')


def warmth_scores(texts: Sequence[str], scorer_path: str, *, max_tokens: int = 64,
                  batch_size: int = 16, dtype: str = "auto") -> list[float]:
    """Warmth score of each text (NaN for a text with no tokens).

    Args:
        texts: the texts to score, e.g. a variant's replies.
        scorer_path: a causal LM (local directory, hub id or a :mod:`warmreg.models` name).
        max_tokens: each text is cut to its first ``max_tokens`` tokens.
        batch_size: sequences (text x framing) per forward pass.
        dtype: the scorer's weights dtype, the backend's ("auto": float32 on CPU, bfloat16
            on GPU, where the model is sharded over the GPUs with ``device_map="auto"``).
    """
    model, tokenizer = _load(scorer_path, dtype)
    framings = WARM_FRAMINGS + COLD_FRAMINGS
    prefixes = [tokenizer(f)["input_ids"] for f in framings]
    bodies = [tokenizer(t, add_special_tokens=False)["input_ids"][:max_tokens] for t in texts]
    jobs = [(i, j) for i, body in enumerate(bodies) if body for j in range(len(framings))]
    loglik = _mean_logprobs(model, [(prefixes[j], bodies[i]) for i, j in jobs], batch_size,
                            tokenizer.pad_token_id or 0)
    per_text = [[0.0] * len(framings) for _ in texts]
    for (i, j), value in zip(jobs, loglik):
        per_text[i][j] = value
    n_warm = len(WARM_FRAMINGS)
    return [(sum(row[:n_warm]) / n_warm - sum(row[n_warm:]) / len(COLD_FRAMINGS))
            if bodies[i] else math.nan for i, row in enumerate(per_text)]


def _mean_logprobs(model, pairs: list[tuple[list[int], list[int]]], batch_size: int,
                   pad_id: int) -> list[float]:
    """Average log p(body token | prefix, earlier body tokens) of each (prefix, body) pair."""
    import torch

    order = sorted(range(len(pairs)), key=lambda k: -sum(map(len, pairs[k])))
    out = [0.0] * len(pairs)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        seqs = [pairs[k][0] + pairs[k][1] for k in chunk]
        width = max(map(len, seqs))
        ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):  # right padding: real tokens keep their positions
            ids[row, :len(seq)] = torch.tensor(seq)
            mask[row, :len(seq)] = 1
        with torch.no_grad():
            logits = model(input_ids=ids.to(model.device),
                           attention_mask=mask.to(model.device)).logits.float().cpu()
        logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])[..., 0]
        for row, k in enumerate(chunk):
            n_prefix, n_body = len(pairs[k][0]), len(pairs[k][1])
            # the token at position p is predicted at p - 1
            out[k] = logp[row, n_prefix - 1:n_prefix - 1 + n_body].mean().item()
    return out


@functools.lru_cache(maxsize=1)
def _load(scorer_path: str, dtype: str = "auto"):
    """The scorer model (eval mode) and tokenizer; the last one is kept loaded.

    On CPU: float32 unless ``dtype`` says otherwise, on one device (as before). On GPU:
    ``dtype`` ("auto" = bfloat16), sharded over the GPUs (and CPU memory beyond them).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from warmreg.models import load_kwargs, resolve

    path = resolve(scorer_path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, **load_kwargs(dtype, "auto")).eval()
    return model, tokenizer


def warmth_summary(scores: Sequence[float], n_boot: int = 1000, seed: int = 0) -> dict:
    """Mean warmth with a 95% percentile-bootstrap interval (NaN scores are left out).

    Returns:
        ``{"mean", "ci_low", "ci_high", "n"}``; with fewer than two scores the interval
        is the mean itself (NaN when there are none).
    """
    import numpy as np

    values = np.asarray([s for s in scores if not math.isnan(s)], dtype=float)
    if len(values) == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    mean = float(values.mean())
    if len(values) < 2 or np.ptp(values) == 0:
        return {"mean": mean, "ci_low": mean, "ci_high": mean, "n": len(values)}
    from scipy.stats import bootstrap

    result = bootstrap((values,), np.mean, n_resamples=n_boot, method="percentile",
                       confidence_level=0.95, random_state=np.random.default_rng(seed))
    ci = result.confidence_interval
    return {"mean": mean, "ci_low": float(ci.low), "ci_high": float(ci.high), "n": len(values)}


def check_variant(variant_generations: Sequence[str], scorer_path: str, *,
                  max_tokens: int = 64) -> dict:
    """The manipulation check of one variant (or checkpoint) from its replies.

    Returns:
        Metrics ready to log: ``warmth_mean``, ``warmth_ci_low``, ``warmth_ci_high``
        and ``warmth_n`` (replies scored).
    """
    summary = warmth_summary(warmth_scores(variant_generations, scorer_path,
                                           max_tokens=max_tokens))
    return {f"warmth_{key}": value for key, value in summary.items()}
