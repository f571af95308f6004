"""The warmth manipulation check, set beside the persona effects.

The check itself (a SocioT-style score per checkpoint) is computed elsewhere; this
module only selects and formats its table: columns ``variant``, ``epoch``, ``score``
(or ``mean``, as :func:`warmreg.warmth.score.warmth_summary` names it), ``ci_low``,
``ci_high`` and optionally ``model`` and ``evaluated`` (true on the checkpoint the
variant was evaluated at, as :func:`warmreg.warmth.check.check` marks it). ``epoch`` may
be empty for variants without training (``original``, ``system-prompt``).

Which checkpoint stands beside the effects follows the run, never a constant: an
explicit epoch when one is given; else the rows marked ``evaluated``; else the
``checkpoint_epoch`` the results table records for the variant (the trainer's
``evaluate_epoch``); a variant with several checkpoints and none of these is an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from warmreg.analysis.results import ResultsError

WARMTH_COLUMNS = ("variant", "epoch", "score", "ci_low", "ci_high")


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


def evaluated_epochs(results: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(model, variant) → the checkpoint epoch its results were generated at.

    Read from the results' ``checkpoint_epoch`` column (a run writes it from the
    trainer's ``evaluate_epoch``); variants without one (untrained) are absent.
    """
    if "checkpoint_epoch" not in results:
        return {}
    epochs = pd.to_numeric(results["checkpoint_epoch"], errors="coerce")
    rows = results[["model", "variant"]].astype(str).assign(epoch=epochs).dropna()
    return {(m, v): float(e) for (m, v), e in rows.groupby(["model", "variant"])["epoch"].first()
            .items()}


def warmth_at_epoch(
    table: pd.DataFrame, epoch: float | None = None, *, reference: str = "original",
    evaluated: dict[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """One row per (model, variant): the evaluated checkpoint and its delta.

    Args:
        table: the warmth table (every checkpoint).
        epoch: pick the checkpoint nearest this epoch for every variant.
        reference: ``delta`` is the score minus this variant's, per model.
        evaluated: (model, variant) → evaluated epoch (:func:`evaluated_epochs`),
            used where the table has no ``evaluated`` column.

    Raises:
        ResultsError: a variant with several checkpoints and no way to tell which
            one was evaluated (pass ``epoch``).
    """
    rows = validate_warmth(table)
    target = rows.apply(lambda r: _target(r, epoch, evaluated or {}), axis=1)
    if "evaluated" in rows and epoch is None:
        flagged = rows["evaluated"].astype(str).str.lower().isin(("true", "1", "1.0"))
        rows = rows[flagged.to_numpy()]
        target = target[flagged.to_numpy()]
    ambiguous = target.isna() & rows["epoch"].notna()
    counts = rows.groupby(["model", "variant"])["epoch"].transform("count")
    if (ambiguous & (counts > 1)).any():
        bad = rows[(ambiguous & (counts > 1)).to_numpy()].iloc[0]
        raise ResultsError(f"warmth table: variant '{bad['variant']}' has several checkpoints "
                           "and nothing says which was evaluated (no 'evaluated' column, no "
                           "checkpoint_epoch in the results): pass the evaluated epoch "
                           "(--evaluate-epoch)")
    distance = (rows["epoch"] - target).abs().fillna(-1.0)  # untrained or single rows first
    rows = rows.assign(_distance=distance, _later=-rows["epoch"].fillna(0))
    picked = (rows.sort_values(["model", "variant", "_distance", "_later"])
              .groupby(["model", "variant"], sort=True).head(1)
              .drop(columns=["_distance", "_later"]))
    base = picked[picked["variant"] == reference].set_index("model")["score"]
    picked["delta"] = picked["score"] - picked["model"].map(base)
    return picked.reset_index(drop=True)


def _target(row, epoch: float | None, evaluated: dict) -> float:
    if epoch is not None:
        return float(epoch)
    found = evaluated.get((str(row["model"]), str(row["variant"])))
    if found is None and str(row["model"]) == "":  # a table without models: any model's
        found = next((e for (_, v), e in evaluated.items() if v == str(row["variant"])), None)
    return float("nan") if found is None else float(found)


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
