"""Per-item result rows, and logging them and their analysis to MLflow.

The row schema is the one ``warmreg analyze`` reads (docs/results-format.md), so a run's
``results.parquet`` and any other pipeline's output go through the same analysis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from warmreg.api import Generation, ModelVariant, Prompt, Verdict

TABLE_ROWS = 5000  # up to this many rows, per-item outputs are also an MLflow table


def frame(variant: ModelVariant, prompts: Sequence[Prompt], gens: Sequence[Generation],
          verdicts: Sequence[Verdict], categories: Mapping[str, str]):
    """One row per (item, context, belief) of one variant, every factor a column."""
    import pandas as pd

    spec = variant.model
    rows = [{
        "model": spec.name, "family": spec.family, "size": spec.size,
        "variant": variant.variant, "trainer": variant.trainer,
        "checkpoint_epoch": variant.checkpoint_epoch,
        "task": p.item.task, "category": categories[p.item.task], "item_id": p.item.id,
        "context": p.context, "belief": p.belief,
        "verdict": v.label, "judge": v.judge, "judge_explanation": v.explanation,
        "response": g.text, "n_new_tokens": g.n_new_tokens, "finish_reason": g.finish_reason,
        "refusal_is_correct": p.item.refusal_is_correct,
        "question": p.messages[-1]["content"], "correct": p.item.correct[0] if p.item.correct else "",
        "incorrect": p.item.incorrect,
    } for p, g, v in zip(prompts, gens, verdicts)]
    return pd.DataFrame(rows)


def log_variant(tracker, run_id: str, variant: ModelVariant, rows) -> None:
    """Per-item outputs (table and Parquet), the adapter, and verdict counts of one variant."""
    name = f"{variant.model.name}__{variant.variant}"
    tracker.log_parquet(run_id, rows, f"items/{name}.parquet")
    if len(rows) <= TABLE_ROWS:
        tracker.log_table(run_id, rows, f"items/{name}.json")
    if variant.weights:
        tracker.log_artifacts(run_id, variant.weights, "adapter" if variant.weights_kind == "lora"
                              else "weights")
    counts = rows["verdict"].value_counts()
    tracker.log_metrics(run_id, {f"verdicts/{k}": int(n) for k, n in counts.items()})
    tracker.log_metrics(run_id, {"n_items": len(rows),
                                 "mean_new_tokens": float(rows["n_new_tokens"].mean())})


def analyse_and_log(recipe, tracker, parent: str, results, out_dir: Path, warmth=None):
    """Run the analysis, write the report directory and log it to the parent run."""
    from warmreg.analysis import analyze

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
    tracker.log_metrics(parent, analysis.metrics)
    tracker.log_artifacts(parent, out_dir, "report")
    _log_variant_metrics(tracker, parent, analysis)
    return analysis


def _log_variant_metrics(tracker, parent: str, analysis) -> None:
    """Each variant run gets its own error rates as ``error_rate/<task>/<context>/<belief>``."""
    runs = tracker.client.search_runs(
        [tracker.experiment_id], f"tags.`mlflow.parentRunId` = '{parent}' "
        "and tags.`warmreg.run_kind` = 'variant'")
    by_key = {(r.data.tags.get("warmreg.model"), r.data.tags.get("warmreg.variant")): r.info.run_id
              for r in runs}
    for (model, variant), metrics in analysis.variant_metrics().items():
        if (model, variant) in by_key:
            tracker.log_metrics(by_key[(model, variant)], metrics)
