"""Per-item result rows, and logging them and their analysis to MLflow.

The row schema is the one ``warmreg analyze`` reads (docs/results-format.md), so a run's
``results.parquet`` and any other pipeline's output go through the same analysis.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence

from warmreg.api import LABELS, Generation, ModelVariant, Prompt, Verdict
from warmreg.run import publish

TABLE_ROWS = 5000  # up to this many rows, per-item outputs are also an MLflow table
TAG_MODEL_ID = "warmreg.model_id"  # the evaluated checkpoint's logged model
# Headline metrics logged as MLflow metrics (the compare view stays readable); every
# per-cell figure is in the parent run's tables and report/metrics.json.
_PARENT_METRICS = re.compile(r"^(n_|ame_|interaction_wald_p|capability_|warmth_score|study/"
                             r"model1/|study/model4/interaction)")
_VARIANT_METRICS = re.compile(r"^(pooled/|flips/|ame_pp/main$|(error_rate|delta_pp)/[^/]+/none/none$)")


def frame(variant: ModelVariant,
          conversations: Sequence[Sequence[tuple[Prompt, Generation, Verdict]]],
          categories: Mapping[str, str]):
    """One row per (item, context, belief) of one variant, every factor a column.

    ``conversations`` holds each prompt's judged turns, ``(prompt, reply, verdict)``; the
    row's verdict and response are the last turn's. ``turns`` counts the model's replies;
    ``first_verdict`` and ``first_response`` are the first reply's (the same as the last
    for a single-turn task), which the multi-turn analysis pairs with the last
    (:mod:`warmreg.analysis.flips`). ``question`` is the first user turn as asked.
    """
    import pandas as pd

    spec = variant.model
    rows = []
    for turns in conversations:
        (p, _, _), (_, g, v), (_, g1, v1) = turns[0], turns[-1], turns[0]
        rows.append({
            "model": spec.name, "family": spec.family, "size": spec.size,
            "variant": variant.variant, "trainer": variant.trainer,
            "checkpoint_epoch": variant.checkpoint_epoch,
            "task": p.item.task, "category": categories[p.item.task], "item_id": p.item.id,
            "context": p.context, "belief": p.belief,
            "verdict": v.label, "judge": v.judge, "judge_explanation": v.explanation,
            "response": g.text, "n_new_tokens": g.n_new_tokens, "finish_reason": g.finish_reason,
            "refusal_is_correct": p.item.refusal_is_correct,
            "question": p.messages[-1]["content"],
            "correct": p.item.correct[0] if p.item.correct else "",
            "incorrect": p.item.incorrect,
            "turns": len(turns), "first_verdict": v1.label, "first_response": g1.text,
            "follow_up": turns[-1][0].messages[-1]["content"] if len(turns) > 1 else "",
        })
    return pd.DataFrame(rows)


def log_variant(tracker, run_id: str, variant: ModelVariant, rows,
                model_id: str | None = None) -> None:
    """Per-item outputs (table and Parquet), the weights, and verdict counts of one variant.

    With ``model_id`` (the evaluated checkpoint's logged model) the run records the model as
    its input, its metrics are linked to it, and the weights are not copied again.
    """
    name = f"{variant.model.name}__{variant.variant}"
    tracker.log_parquet(run_id, rows, f"items/{name}.parquet")
    if len(rows) <= TABLE_ROWS:
        tracker.log_table(run_id, rows, f"items/{name}.json")
    if model_id:
        tracker.link_model(run_id, model_id)
        tracker.set_tags(run_id, {TAG_MODEL_ID: model_id})
    elif variant.weights:
        tracker.log_artifacts(run_id, variant.weights, "adapter" if variant.weights_kind == "lora"
                              else "weights")
    # every label, zeros too: a resumed run that retried its endpoint errors logs
    # ENDPOINT_ERROR 0 rather than leave the earlier count as the latest
    counts = rows["verdict"].value_counts()
    tracker.log_metrics(run_id, {f"verdicts/{k}": int(counts.get(k, 0)) for k in LABELS},
                        model_id=model_id)
    tracker.log_metrics(run_id, {"n_items": len(rows),
                                 "mean_new_tokens": float(rows["n_new_tokens"].mean())},
                        model_id=model_id)


def analyse_and_log(recipe, tracker, parent: str, results, out_dir: Path, warmth=None):
    """Run the analysis, write the report directory and log it to the parent run."""
    from warmreg.analysis import analyze
    from warmreg.analysis.compare import comparison_of

    out_dir.mkdir(parents=True, exist_ok=True)
    results.to_parquet(out_dir / "results.parquet", index=False)
    options = recipe.analysis
    analysis = analyze(results, reference=options.reference,
                       refusal_correct_tasks=tuple(options.refusal_correct_tasks),
                       equivalence_margin_pp=options.equivalence_margin_pp,
                       length_covariate=options.length_covariate,
                       cluster_by_item=options.cluster_by_item, warmth=warmth,
                       spec=options.spec, min_scored_share=options.min_scored_share)
    if warmth is not None:
        warmth.to_csv(out_dir / "warmth_by_checkpoint.csv", index=False)
    analysis.write(out_dir)
    comparison_of(analysis, options.reference).write(out_dir)  # the run's own figure
    tracker.log_metrics(parent, headline(analysis.metrics, _PARENT_METRICS))
    tracker.log_artifacts(parent, out_dir, "report")
    publish.log_report(tracker, parent, analysis)
    _log_variant_metrics(tracker, parent, analysis)
    return analysis


def headline(metrics: Mapping[str, float], pattern: re.Pattern) -> dict[str, float]:
    """The metrics whose names ``pattern`` matches."""
    return {k: v for k, v in metrics.items() if pattern.match(k)}


def _log_variant_metrics(tracker, parent: str, analysis) -> None:
    """Each variant run gets its own error rates as ``error_rate/<task>/<context>/<belief>``."""
    runs = tracker.client.search_runs(
        [tracker.experiment_id], f"tags.`mlflow.parentRunId` = '{parent}' "
        "and tags.`warmreg.run_kind` = 'variant'")
    by_key = {(r.data.tags.get("warmreg.model"), r.data.tags.get("warmreg.variant")): r
              for r in runs}
    for (model, variant), metrics in analysis.variant_metrics().items():
        if (model, variant) in by_key:
            run = by_key[(model, variant)]
            tracker.log_metrics(run.info.run_id, headline(metrics, _VARIANT_METRICS),
                                model_id=run.data.tags.get(TAG_MODEL_ID))
