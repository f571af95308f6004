"""The warmth manipulation check, set beside the persona effects.

The check itself (a SocioT-style score per checkpoint) is computed elsewhere; this
module only selects and formats its table: columns ``variant``, ``epoch``, ``score``
(or ``mean``, as :func:`warmreg.warmth.score.warmth_summary` names it), ``ci_low``,
``ci_high`` and optionally ``model``. ``epoch`` may be empty for variants
without training (``original``, ``system-prompt``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from warmreg.analysis.results import ResultsError

WARMTH_COLUMNS = ("variant", "epoch", "score", "ci_low", "ci_high")
EVALUATED_EPOCH = 2.0  # the study evaluates the epoch-2 checkpoint


def validate_warmth(table: pd.DataFrame) -> pd.DataFrame:
    """Check the warmth table's columns and types; return a copy with numeric columns.

    Raises:
        ResultsError: a missing column or a non-numeric score, naming the row.
    """
    if "score" not in table.columns and "mean" in table.columns:  # warmreg.warmth's name
        table = table.rename(columns={"mean": "score"})
    missing = [c for c in WARMTH_COLUMNS if c not in table.columns]
    if missing:
        raise ResultsError(f"warmth table: missing column '{missing[0]}' "
                           f"(required: {', '.join(WARMTH_COLUMNS)})")
    out = table.reset_index(drop=True).copy()
    for column in ("epoch", "score", "ci_low", "ci_high"):
        values = pd.to_numeric(out[column], errors="coerce")
        bad = values.isna() & out[column].notna()
        if column == "score":
            bad |= values.isna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise ResultsError(f"warmth table: column '{column}': invalid value "
                               f"{out[column].iloc[pos]!r} at row {pos + 1}")
        out[column] = values
    if "model" not in out:
        out.insert(0, "model", "")
    return out


def warmth_at_epoch(
    table: pd.DataFrame, epoch: float = EVALUATED_EPOCH, *, reference: str = "original"
) -> pd.DataFrame:
    """One row per (model, variant): the checkpoint nearest ``epoch`` and its delta.

    Rows without an epoch stand for the whole variant. ``delta`` is the score minus
    the reference's score for the same model (NaN when there is no reference row).
    """
    rows = validate_warmth(table)
    distance = (rows["epoch"] - epoch).abs().fillna(-1.0)  # untrained rows first
    rows = rows.assign(_distance=distance, _later=-rows["epoch"].fillna(0))
    picked = (rows.sort_values(["model", "variant", "_distance", "_later"])
              .groupby(["model", "variant"], sort=True).head(1)
              .drop(columns=["_distance", "_later"]))
    base = picked[picked["variant"] == reference].set_index("model")["score"]
    picked["delta"] = picked["score"] - picked["model"].map(base)
    return picked.reset_index(drop=True)


def warmth_beside_effects(warmth: pd.DataFrame, ames: pd.DataFrame) -> pd.DataFrame:
    """Warmth at the evaluated epoch next to each variant's main persona effect.

    Args:
        warmth: a table from :func:`warmth_at_epoch`.
        ames: the AME table of :func:`~warmreg.analysis.glm.persona_effects`.

    Returns:
        model, variant, epoch, warmth score and delta, and the pooled main AME (pp)
        with its interval; the per-model AME where the warmth table names models.
    """
    main = ames[ames["analysis"] == "main"][["variant", "ame_pp", "ci_low_pp", "ci_high_pp"]]
    by_model = ames[ames["analysis"] == "model"].rename(columns={"level": "model"})
    by_model = by_model[["model", "variant", "ame_pp", "ci_low_pp", "ci_high_pp"]]
    out = warmth.merge(main, on="variant", how="left")
    if warmth["model"].ne("").any() and not by_model.empty:
        out = out.merge(by_model, on=["model", "variant"], how="left",
                        suffixes=("", "_model"))
    columns = ["model", "variant", "epoch", "score", "ci_low", "ci_high", "delta", "ame_pp",
               "ci_low_pp", "ci_high_pp"]
    return out[[c for c in out.columns if c in columns or c.endswith("_model")]]
