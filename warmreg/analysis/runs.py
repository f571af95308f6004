"""``warmreg compare``: one table across every model and variant of an MLflow experiment."""

from __future__ import annotations

from pathlib import Path

from warmreg.analysis.compare import HEADLINE
from warmreg.errors import WarmregError

_TAGS = {"tags.warmreg.model": "model", "tags.warmreg.family": "family",
         "tags.warmreg.size": "size", "tags.warmreg.variant": "variant",
         "tags.warmreg.trainer": "trainer", "tags.warmreg.checkpoint_epoch": "checkpoint_epoch"}


class CompareError(WarmregError):
    """Nothing to compare in the experiment."""

    exit_code = 2


def variant_runs(experiment: str):
    """The latest variant run per (model, variant) in ``experiment``, metrics as columns."""
    from warmreg.run.tracking import experiment_runs

    runs = experiment_runs(experiment)
    if runs is None or runs.empty or "tags.warmreg.run_kind" not in runs.columns:
        raise CompareError(f"experiment {experiment!r} has no warmreg runs")
    runs = runs[runs["tags.warmreg.run_kind"] == "variant"]
    runs = runs[runs["status"] == "FINISHED"].sort_values("start_time", ascending=False)
    runs = runs.drop_duplicates(["tags.warmreg.model", "tags.warmreg.variant"])
    if runs.empty:
        raise CompareError(f"experiment {experiment!r} has no finished variant runs")
    metrics = [c for c in runs.columns if c.startswith("metrics.") and HEADLINE.match(c[8:])]
    frame = runs[list(_TAGS) + ["run_id"] + metrics].rename(columns=_TAGS)
    frame.columns = [c[8:] if c.startswith("metrics.") else c for c in frame.columns]
    return frame.reset_index(drop=True)


def compare(experiment: str, out_dir: str | Path, reference: str = "original"):
    """Write compare.{csv,md,html} for ``experiment`` and attach them to a ``compare`` run of
    the experiment (the HTML opens in the MLflow UI's artifact view); return the
    Comparison and that run's id."""
    from warmreg.analysis import compare_table
    from warmreg.run.tracking import Tracker

    runs = variant_runs(experiment)
    metric_columns = sorted(c for c in runs.columns if HEADLINE.match(c))
    comparison = compare_table(runs, metrics=metric_columns, reference=reference)
    paths = comparison.write(out_dir)
    tracker = Tracker(experiment)
    run_id = tracker.new_run("compare", {"warmreg.run_kind": "compare",
                                         "warmreg.reference": reference})
    for path in paths.values():
        tracker.log_artifact(run_id, path, "compare")
    tracker.finish(run_id)
    return comparison, run_id
