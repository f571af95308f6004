"""Per-item results tables: the documented columns, loading and validation.

One row per judged generation. The columns are documented in ``docs/results-format.md``;
:func:`validate_results` is the single place that enforces them, so a table produced
by warmreg's runner and one produced by any other pipeline go through the same checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from warmreg.api import CAPABILITY, LABELS, RELIABILITY
from warmreg.analysis.tasks import traits_of
from warmreg.errors import WarmregError, did_you_mean

REQUIRED = ("model", "variant", "task", "item_id", "context", "belief", "verdict")
OPTIONAL = ("response", "category", "refusal_is_correct")
KEY = ("model", "variant", "task", "item_id", "context", "belief")
CELL = ("model", "variant", "task", "context", "belief")
BELIEFS = ("none", "incorrect")
CATEGORIES = (RELIABILITY, CAPABILITY)

_CONTEXT_PATTERN = r"[^:\s]+(?::[^:\s]+)?"
_TRUE = frozenset({"true", "1", "1.0", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "0.0", "no", "n", "f", ""})


class AnalysisError(WarmregError):
    """An analysis was asked for something it cannot do (bad argument, missing input)."""

    exit_code = 2


class ResultsError(AnalysisError):
    """A results table is malformed. The message names the column, value and row."""


def load_results(path: str | Path) -> pd.DataFrame:
    """Read and validate a per-item results table (CSV, CSV.gz or Parquet).

    Args:
        path: the file; the format follows the suffix (``.csv``, ``.csv.gz``,
            ``.parquet``, ``.pq``).

    Returns:
        The validated table (see :func:`validate_results`).

    Raises:
        ResultsError: unreadable file, unknown format, missing column or bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such file")
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            # Only empty fields are missing: "None" or "NA" are legitimate values.
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
            return validate_results(frame, source=str(path), header_lines=1)
        if name.endswith((".parquet", ".pq")):
            return validate_results(pd.read_parquet(path), source=str(path))
    except (ValueError, TypeError, OSError, pd.errors.ParserError) as exc:
        if isinstance(exc, ResultsError):
            raise
        raise ResultsError(f"{path}: cannot read the table: {exc}") from exc
    raise ResultsError(f"{path}: unknown results format (use .csv, .csv.gz, .parquet or .pq)")


def validate_results(
    frame: pd.DataFrame, *, source: str | None = None, header_lines: int | None = None
) -> pd.DataFrame:
    """Check a results table and return a normalised copy.

    Normalisation: the required columns become categoricals of stripped text
    (``verdict`` upper case, ``context`` and ``belief`` lower case); ``category`` a
    categorical, lower case, filled where empty or absent from the task plugin's declared
    category (:mod:`warmreg.analysis.tasks`); ``refusal_is_correct`` boolean, filled where
    absent, True where the task plugin declares refusing correct; ``response`` text ("" where
    absent). The index is reset.

    Args:
        frame: one row per judged generation.
        source: the file it came from, for messages.
        header_lines: lines before the first data row in ``source`` (CSV), so a
            message can give the file line as well as the row number.

    Raises:
        ResultsError: a required column is missing, a value is empty or invalid, or
            two rows share (model, variant, task, item_id, context, belief).
    """
    where = _Where(source, header_lines)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        hint = did_you_mean(missing[0], [str(c) for c in frame.columns])
        raise ResultsError(f"{where.prefix}missing column '{missing[0]}'{hint} "
                           f"(required: {', '.join(REQUIRED)})")
    out = frame.reset_index(drop=True).copy()
    cases = {"verdict": str.upper, "context": str.lower, "belief": str.lower}
    for col in REQUIRED:
        out[col] = _categorical(out, col, where, cases.get(col))
    _check_allowed(out, "verdict", LABELS, where)
    _check_allowed(out, "belief", BELIEFS, where)
    categories = out["context"].cat.categories
    _check_categories(out, "context", categories[~categories.str.fullmatch(_CONTEXT_PATTERN)],
                      where, "expected 'none' or 'group:name'")
    out["category"] = _category(out, where)
    out["refusal_is_correct"] = _flag(out, where)
    out["response"] = out["response"].fillna("").astype(str) if "response" in out else ""
    _check_duplicates(out, where)
    return out


class _Where:
    """Formats file and row positions for messages."""

    def __init__(self, source: str | None, header_lines: int | None):
        self.source, self.header_lines = source, header_lines
        self.prefix = f"{source}: " if source else ""

    def row(self, position: int) -> str:
        text = f"row {position + 1}"
        if self.header_lines is not None:
            text += f" (line {position + 1 + self.header_lines})"
        return text


def _categorical(frame: pd.DataFrame, col: str, where: _Where, case=None) -> pd.Categorical:
    """The column as a Categorical of stripped (and case-folded) text; empty is an error.

    Work happens on the distinct values, so a large table costs one factorisation.
    """
    codes, uniques = _factorize(frame, col, where)
    text = [case(str(u).strip()) if case else str(u).strip() for u in uniques]
    empty = np.flatnonzero(np.array([t == "" for t in text], dtype=bool))
    _check_bad(frame, col, (codes == -1) | np.isin(codes, empty), where, "empty value",
               show=False)
    categories, inverse = np.unique(np.array(text, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=categories.astype(str))


def _factorize(frame: pd.DataFrame, col: str, where: _Where):
    """``pd.factorize`` of a column; a list or struct value (Parquet) is a ResultsError."""
    try:
        return pd.factorize(frame[col])
    except TypeError:  # unhashable values: lists, arrays, dicts
        nested = frame[col].map(lambda v: isinstance(v, (list, tuple, dict, np.ndarray)))
        _check_bad(frame, col, nested.to_numpy(), where, "expected text, got a list or struct",
                   show=False)
        raise


def _check_bad(frame, col, bad, where: _Where, why: str, show: bool = True) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        value = f" {frame[col].iloc[pos]!r}" if show else ""
        raise ResultsError(f"{where.prefix}column '{col}': invalid value{value} at "
                           f"{where.row(pos)} ({why}; {int(bad.sum())} bad rows in all)")


def _check_categories(frame, col: str, bad_values, where: _Where, why: str) -> None:
    if len(bad_values):
        _check_bad(frame, col, frame[col].isin(list(bad_values)).to_numpy(), where, why)


def _check_allowed(frame, col: str, allowed, where: _Where) -> None:
    categories = frame[col].cat.categories
    _check_categories(frame, col, categories[~categories.isin(allowed)], where,
                      f"allowed: {', '.join(allowed)}")


def _distinct(frame: pd.DataFrame, col: str, where: _Where) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and the stripped, lower-cased distinct values of a column."""
    codes, uniques = _factorize(frame, col, where)
    return codes, np.array([str(u).strip().lower() for u in uniques] + [""], dtype=object)


def _category(frame: pd.DataFrame, where: _Where) -> pd.Categorical:
    traits = traits_of(frame["task"].astype(str).unique())
    inferred = frame["task"].astype(str).map({t: v.category for t, v in traits.items()}).to_numpy()
    if "category" in frame:
        codes, text = _distinct(frame, "category", where)  # code -1 picks the trailing ""
        bad = [i for i, t in enumerate(text) if t not in (*CATEGORIES, "")]
        _check_bad(frame, "category", np.isin(codes, bad), where,
                   f"allowed: {', '.join(CATEGORIES)} or empty")
        given = text[codes]
        inferred = np.where(given == "", inferred, given)
    return pd.Categorical(inferred, categories=CATEGORIES)


def _flag(frame: pd.DataFrame, where: _Where) -> np.ndarray:
    """A row's own flag, or its task plugin's declaration (refusing is correct on every item)."""
    traits = traits_of(frame["task"].astype(str).unique())
    declared = frame["task"].astype(str).map(
        {t: v.refusal_is_correct for t, v in traits.items()}).to_numpy(dtype=bool)
    return declared | _row_flag(frame, where)


def _row_flag(frame: pd.DataFrame, where: _Where) -> np.ndarray:
    if "refusal_is_correct" not in frame:
        return np.zeros(len(frame), dtype=bool)
    if frame["refusal_is_correct"].dtype == bool:
        return frame["refusal_is_correct"].to_numpy()
    codes, text = _distinct(frame, "refusal_is_correct", where)
    bad = [i for i, t in enumerate(text) if t not in _TRUE | _FALSE]
    _check_bad(frame, "refusal_is_correct", np.isin(codes, bad), where, "expected true/false")
    return np.isin(text, list(_TRUE))[codes]


def _check_duplicates(frame: pd.DataFrame, where: _Where) -> None:
    dup = frame.duplicated(list(KEY)).to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        key = ", ".join(f"{c}={frame[c].iloc[pos]}" for c in KEY)
        raise ResultsError(f"{where.prefix}{where.row(pos)} repeats an earlier row's key "
                           f"({key}); each (model, variant, task, item_id, context, belief) "
                           f"must appear once")
