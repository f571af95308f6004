"""Flat metric names for the analysis tables (what the runner logs to MLflow).

Names are ``/``-separated paths. Each part is made MLflow-safe by :func:`metric_key`:
``:`` becomes ``.`` (``emotion:sad`` → ``emotion.sad``) and any other character outside
letters, digits, ``_ - . space`` becomes ``_`` (so a ``/`` inside a model name cannot
add a level). Proportions are in [0, 1]; names ending in ``_pp`` are percentage points.
Values that are not finite (an empty cell, a skipped fit) are left out.

=================================================================  =====================
name                                                               value
=================================================================  =====================
``n_rows``, ``n_scored``, ``n_excluded_refused``                   row counts
``n_unparseable``, ``n_endpoint_error``                            row counts
``n_glm_skipped``                                                  fits skipped
``error_rate/<model>/<variant>/<task>/<context>/<belief>``          proportion
``delta_pp/<model>/<variant>/<task>/<context>/<belief>``            vs reference, paired
``delta_ci_low_pp/…``, ``delta_ci_high_pp/…``                      Newcombe 95% CI
``mcnemar_q/<model>/<variant>/<task>/<context>/<belief>``           BH q-value
``ame_pp/<variant>/main``                                          persona AME
``ame_pp/<variant>/group/<group>``                                 within a context group
``ame_pp/<variant>/context/<context>``                             within a context
``ame_pp/<variant>/belief/<belief>``                               within a belief
``ame_pp/<variant>/model/<model>``                                 main effect per model
``ame_ci_low_pp/…``, ``ame_ci_high_pp/…``, ``ame_p/…``             same suffixes as ame_pp
``ame_diff_pp/<variant>/<analysis>/<level>``, ``ame_diff_p/…``     level minus none
``interaction_wald_p/<variant>/<analysis>``                        joint Wald test
``capability_delta_pp/<model>/<variant>/<task>``                   accuracy/refusal rate
``capability_ci_low_pp/…``, ``capability_ci_high_pp/…``            95% CI
``capability_tost_p/…``, ``capability_equivalent/…``               TOST p; 1.0 or 0.0
``warmth_score/<model>/<variant>`` (``warmth_score/<variant>``)    at the evaluated epoch
``first_accuracy|caved|corrected/<model>/<variant>/<task>``         multi-turn rates
``…_delta_pp/<model>/<variant>/<task>``, ``…_p/…``                 paired vs reference
=================================================================  =====================

Per (model, variant) child run (:func:`variant_metrics`), names drop model and variant:
``error_rate/<task>/<context>/<belief>``, ``delta_pp/<task>/<context>/<belief>``,
``pooled/error_rate``, ``pooled/delta_pp``, ``pooled/delta_ci_low_pp``,
``pooled/delta_ci_high_pp``, ``pooled/sycophancy_delta_pp`` (reliability tasks pooled,
context none; the last under an incorrect belief), ``ame_pp/main`` (the model's own
persona AME), ``capability_delta_pp/<task>`` and, for multi-turn tasks,
``flips/<measure>/<task>`` with ``_ci_low``, ``_ci_high`` and ``_delta_pp`` variants
(:mod:`warmreg.analysis.flips`).
"""

from __future__ import annotations

import math

import pandas as pd

from warmreg.analysis.flips import MEASURES as FLIP_MEASURES
from warmreg.keys import metric_name

_CELL = ("model", "variant", "task", "context", "belief")


metric_key = metric_name  # the one sanitiser (warmreg.keys): parts joined by "/"


def build_metrics(result) -> dict[str, float]:
    """Every metric of an :class:`~warmreg.analysis.report.AnalysisResult`."""
    metrics = dict(result.counts)
    metrics["n_glm_skipped"] = len(result.skipped)
    _add(metrics, result.rates, "error_rate", _CELL, "error_rate")
    for name, column in (("delta_pp", "delta_pp"), ("delta_ci_low_pp", "ci_low_pp"),
                         ("delta_ci_high_pp", "ci_high_pp"), ("mcnemar_q", "q_value")):
        _add(metrics, result.deltas, name, _CELL, column)
    ame_keys = ("variant", "analysis", "level")
    for name, column in (("ame_pp", "ame_pp"), ("ame_ci_low_pp", "ci_low_pp"),
                         ("ame_ci_high_pp", "ci_high_pp"), ("ame_p", "p_value")):
        _add(metrics, result.ames, name, ame_keys, column)
    levels = result.contrasts[result.contrasts["level"] != "(all)"]
    _add(metrics, levels, "ame_diff_pp", ame_keys, "diff_pp")
    _add(metrics, levels, "ame_diff_p", ame_keys, "p_value")
    joint = result.contrasts[result.contrasts["level"] == "(all)"]
    _add(metrics, joint, "interaction_wald_p", ("variant", "analysis"), "wald_p")
    cap_keys = ("model", "variant", "task")
    for name, column in (("capability_delta_pp", "delta_pp"), ("capability_ci_low_pp", "ci_low_pp"),
                         ("capability_ci_high_pp", "ci_high_pp"), ("capability_tost_p", "tost_p")):
        _add(metrics, result.capability, name, cap_keys, column)
    if not result.capability.empty:
        equivalent = result.capability.assign(eq=result.capability["equivalent"].astype(float))
        _add(metrics, equivalent, "capability_equivalent", cap_keys, "eq")
    if result.warmth is not None and not result.warmth.empty:
        _add(metrics, result.warmth, "warmth_score", ("model", "variant"), "score")
    for measure in FLIP_MEASURES:
        for suffix in ("", "_delta_pp", "_p"):
            _add(metrics, result.flips, f"{measure}{suffix}", cap_keys, f"{measure}{suffix}")
    return metrics


def variant_metrics(result) -> dict[tuple[str, str], dict[str, float]]:
    """Per (model, variant): cell error rates and deltas, and the pooled summaries."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    cell = ("task", "context", "belief")
    for name, table, column in (("error_rate", result.rates, "error_rate"),
                                ("delta_pp", result.deltas, "delta_pp")):
        for (model, variant), rows in table.groupby(["model", "variant"], observed=True):
            _add(out.setdefault((str(model), str(variant)), {}), rows, name, cell, column)
    for row in result.flips.to_dict("records"):
        metrics = out.setdefault((str(row["model"]), str(row["variant"])), {})
        for measure in FLIP_MEASURES:
            for suffix in ("", "_ci_low", "_ci_high", "_delta_pp"):
                value = float(row[f"{measure}{suffix}"])
                if math.isfinite(value):
                    metrics[metric_key("flips", f"{measure}{suffix}", row["task"])] = value
    summary = result.per_model_variant()
    renames = {c: f"pooled/{c}" for c in (
        "error_rate", "n_scored", "delta_pp", "delta_ci_low_pp", "delta_ci_high_pp",
        "sycophancy_delta_pp", "sycophancy_ci_low_pp", "sycophancy_ci_high_pp",
        "emotion_delta_pp", "emotion_ci_low_pp", "emotion_ci_high_pp")}
    renames["ame_pp"] = "ame_pp/main"
    for row in summary.to_dict("records"):
        metrics = out.setdefault((str(row["model"]), str(row["variant"])), {})
        for column, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and math.isfinite(value):
                metrics[metric_key(*renames.get(column, column).split("/"))] = float(value)
    return out


def _add(metrics: dict, table: pd.DataFrame, name: str, keys, column: str) -> None:
    if table.empty:
        return
    parts = [table[k].astype(str).to_numpy() for k in keys]
    for *key, value in zip(*parts, table[column].to_numpy(dtype=float)):
        if math.isfinite(value):
            metrics[metric_key(name, *key)] = float(value)
