"""The warmth manipulation check inside a run: did the persona take, checkpoint by checkpoint?

Each variant (and, for trained variants, each saved checkpoint) answers the held-out
validation prompts; :mod:`warmreg.warmth.score` scores them. Replies go through the
same store as evaluation, and so do their scores, so a re-run pays nothing. On a training run the score is
logged at the checkpoint's global step beside an ``epoch`` metric, so the MLflow UI draws
warmth against epoch (choose ``epoch`` as the chart's x axis); the base model is the
point at epoch 0.
"""

from __future__ import annotations

import functools
import re

from warmreg.api import GenerationParams, Item, ModelVariant, Prompt
from warmreg.cache.evaluate import generate
from warmreg.keys import content_hash
from warmreg.recipe.options import WarmthOptions
from warmreg.warmth.score import COLD_FRAMINGS, WARM_FRAMINGS, warmth_scores, warmth_summary

_STEP = re.compile(r"checkpoint-(\d+)$")


def checkpoint_variants(variant: ModelVariant, every: bool) -> list[ModelVariant]:
    """The variant at each of its checkpoints (or just as evaluated)."""
    if not every or not variant.checkpoints:
        return [variant]
    return [variant.at_checkpoint(epoch) for epoch, _ in variant.checkpoints]


def _prompts(options: WarmthOptions) -> list[Prompt]:
    from warmreg.persona.data import load_validation_prompts

    loaded = load_validation_prompts(options.data)[: options.prompts]
    prompts = []
    for p in loaded:
        item = Item(task="warmth-check", id=p.id, question=p.prompt, correct=("",))
        prompts.append(Prompt(item, "none", "none", ({"role": "user", "content": p.prompt},)))
    return prompts


def check(options: WarmthOptions, store, backend, variants: list[ModelVariant], scorer: str,
          seed: int) -> list[dict]:
    """Score every variant/checkpoint; one row per (model, variant, epoch)."""
    prompts = _prompts(options)
    params = GenerationParams(max_new_tokens=options.max_new_tokens, temperature=0.0, seed=seed)
    replies = []
    for variant in variants:
        for point in checkpoint_variants(variant, options.every_checkpoint):
            label = f"{variant.model.name}/{variant.variant}@{point.checkpoint_epoch or 0:g} warmth"
            gens = generate(store, backend, point, prompts, lambda p: params, label)
            # a failed generation has no reply to score
            replies.append((variant, point, [g.text for g in gens if g.finish_reason != "error"]))
    if hasattr(backend, "release"):  # the engine's GPU memory goes to the scorer
        backend.release()
    dtype = scorer_dtype(options.dtype)
    score = functools.partial(warmth_scores, dtype=dtype)
    rows = []
    for variant, point, texts in replies:
        scores = cached_scores(store, texts, scorer, options.max_tokens, score, dtype)
        summary = warmth_summary(scores, seed=seed)
        rows.append({"model": variant.model.name, "variant": variant.variant,
                     "trainer": variant.trainer, "epoch": point.checkpoint_epoch,
                     "step": _step(point), "score": summary["mean"],
                     "ci_low": summary["ci_low"], "ci_high": summary["ci_high"],
                     "n": summary["n"], "evaluated": point.weights == variant.weights})
    return rows


def scorer_dtype(dtype: str) -> str:
    """The torch dtype name the scorer runs in for the recipe's ``warmth.dtype`` on this
    machine ("auto": float32 on CPU, bfloat16 on GPU; "fast": bfloat16 where native)."""
    import torch

    from warmreg.models import resolve_dtype

    return resolve_dtype(dtype, "cuda" if torch.cuda.is_available() else "cpu")


def cached_scores(store, texts: list[str], scorer: str, max_tokens: int, score,
                  dtype: str = "float32") -> list[float]:
    """Warmth scores of ``texts`` from the store, scoring only the texts it lacks.

    Keyed by the scorer, the framings, the length cut and the text (and the scorer's
    resolved dtype when it is not float32), so a re-run (and the same reply from another
    checkpoint) costs no forward pass.
    """
    precision = () if dtype == "float32" else (dtype,)
    keys = [content_hash("warmth", scorer, WARM_FRAMINGS, COLD_FRAMINGS, max_tokens, text,
                         *precision) for text in texts]
    found = store.scores(keys)
    todo = list(dict.fromkeys(k for k in keys if k not in found))
    if todo:
        text_of = dict(zip(keys, texts))
        new = dict(zip(todo, score([text_of[k] for k in todo], scorer, max_tokens=max_tokens)))
        store.put_scores(new)
        found.update(new)
    return [found[k] for k in keys]


def _step(variant: ModelVariant) -> int:
    match = _STEP.search(str(variant.weights or ""))
    return int(match.group(1)) if match else 0


def log(tracker, rows: list[dict], variant_runs: dict, training_runs: dict,
        checkpoint_models: dict | None = None) -> None:
    """Warmth on variant runs (evaluated checkpoint) and by epoch on training runs, linked
    to each checkpoint's logged model (``checkpoint_models[(model, variant)][epoch]``)."""
    checkpoint_models = checkpoint_models or {}
    originals = {r["model"]: r for r in rows if r["variant"] == "original"}
    for row in rows:
        metrics = {"warmth": row["score"], "warmth_ci_low": row["ci_low"],
                   "warmth_ci_high": row["ci_high"]}
        key = (row["model"], row["variant"])
        model_id = checkpoint_models.get(key, {}).get(row["epoch"])
        if row["evaluated"] and key in variant_runs:
            tracker.log_metrics(variant_runs[key], metrics, model_id=model_id)
        if key in training_runs:
            tracker.log_metrics(training_runs[key], {**metrics, "epoch": row["epoch"] or 0.0},
                                step=row["step"], model_id=model_id)
    for (model, _), run_id in training_runs.items():
        base = originals.get(model)
        if base is not None:  # the base model is the training run's epoch-0 point
            tracker.log_metrics(run_id, {"warmth": base["score"], "warmth_ci_low": base["ci_low"],
                                         "warmth_ci_high": base["ci_high"], "epoch": 0.0}, step=0)
