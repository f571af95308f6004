"""Judge validation: agreement of a judge's verdicts with human labels or another judge.

The study validated its LLM judge against human annotations; ``warmreg judge-agreement``
does the same for any results file: Cohen's kappa with its 95% confidence interval,
raw agreement and the confusion matrix over the verdict labels, on the rows both files
share and both judged: a row either file marks ENDPOINT_ERROR holds no judgement to agree
on, and is left out (and counted). The interval is kappa ± 1.96·SE with the large-sample standard error of Fleiss,
Cohen & Everitt (1969), the one reported by standard software (e.g. Stata's ``kap``,
R's ``psych::cohen.kappa``), clipped to [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warmreg.api import ENDPOINT_ERROR, LABELS
from warmreg.errors import WarmregError

Z95 = 1.959963984540054  # standard normal 97.5% quantile
KEYS = ("model", "variant", "task", "item_id", "context", "belief")


class AgreementError(WarmregError):
    """A labels or results file that cannot be compared."""

    exit_code = 2


@dataclass
class Agreement:
    """Agreement between two sets of verdicts on the same rows."""

    n: int
    kappa: float
    agreement: float
    confusion: "object"  # DataFrame: rows = first rater's labels, columns = second's
    kappa_se: float = float("nan")  # large-sample SE (Fleiss, Cohen & Everitt 1969)
    kappa_ci: tuple[float, float] = (float("nan"), float("nan"))  # 95%
    n_endpoint_error: int = 0  # shared rows left out: ENDPOINT_ERROR in either file

    def to_markdown(self) -> str:
        low, high = self.kappa_ci
        left_out = (f" ({self.n_endpoint_error} more left out: endpoint errors)"
                    if self.n_endpoint_error else "")
        return (f"rows compared: {self.n}{left_out}\nCohen's kappa: {self.kappa:.3f} "
                f"(95% CI {low:.3f} to {high:.3f}; SE {self.kappa_se:.3f})\n"
                f"raw agreement: {self.agreement:.3f}\n\n{self.confusion.to_markdown()}")


def read_labels(path: str | Path, column: str):
    """A CSV/Parquet file with key columns and a verdict column, checked."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise AgreementError(f"{path}: file not found")
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    if column not in frame.columns:
        raise AgreementError(f"{path}: missing column {column!r} (columns: {', '.join(frame.columns)})")
    if "item_id" not in frame.columns:
        raise AgreementError(f"{path}: missing column 'item_id'")
    frame[column] = frame[column].astype(str).str.strip().str.upper()
    bad = ~frame[column].isin(LABELS)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise AgreementError(f"{path}: row {row + 2}: {column} {frame[column].iloc[row]!r} "
                             f"is not one of {', '.join(LABELS)}")
    return frame


def compare(first, second, first_col: str = "verdict", second_col: str = "verdict") -> Agreement:
    """Cohen's kappa and the confusion matrix of two labelled frames joined on shared keys."""
    _, a, b, left_out = _join(first, second, first_col, second_col)
    return _agreement(a, b, left_out)


def compare_by(first, second, by, first_col: str = "verdict",
               second_col: str = "verdict"):
    """:func:`compare` within each group of ``by`` (columns of either frame), and overall.

    Returns:
        A DataFrame: the ``by`` columns ("all" on the overall row), ``n``, ``agreement``,
        ``kappa``, ``kappa_ci_low``, ``kappa_ci_high``.
    """
    import pandas as pd

    by = list(by)
    joined, a, b, left_out = _join(first, second, first_col, second_col, by)
    rows = []
    for key, index in joined.groupby(by, sort=True).groups.items():
        result = _agreement(a.loc[index], b.loc[index])
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), **_numbers(result)})
    rows.append({**{c: "all" for c in by}, **_numbers(_agreement(a, b, left_out))})
    return pd.DataFrame(rows)


def _numbers(result: Agreement) -> dict:
    return {"n": result.n, "agreement": result.agreement, "kappa": result.kappa,
            "kappa_ci_low": result.kappa_ci[0], "kappa_ci_high": result.kappa_ci[1]}


def _join(first, second, first_col: str, second_col: str, by=()):
    """The rows both frames share (on :data:`KEYS`) and both judged, with the two label
    columns and the number of shared rows left out as endpoint errors."""
    keys = [k for k in KEYS if k in first.columns and k in second.columns]
    extra = [c for c in by if c not in keys]
    missing = [c for c in extra if c not in first.columns and c not in second.columns]
    if missing:
        raise AgreementError(f"no column {', '.join(map(repr, missing))} in either file "
                             f"to group by")
    left = [c for c in extra if c in first.columns]
    right = [c for c in extra if c not in first.columns]
    joined = first[keys + left + [first_col]].merge(
        second[keys + right + [second_col]], on=keys, suffixes=("_a", "_b"),
        validate="one_to_one")
    if joined.empty:
        raise AgreementError(f"the two files share no rows on {', '.join(keys)}")
    a = joined[f"{first_col}_a" if first_col == second_col else first_col]
    b = joined[f"{second_col}_b" if first_col == second_col else second_col]
    judged = ((a != ENDPOINT_ERROR) & (b != ENDPOINT_ERROR)).to_numpy()
    if not judged.any():
        raise AgreementError("every shared row is an endpoint error in one file or the other")
    return joined[judged], a[judged], b[judged], int((~judged).sum())


def _agreement(a, b, left_out: int = 0) -> Agreement:
    import pandas as pd
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    labels = [label for label in LABELS if label in set(a) | set(b)]
    matrix = confusion_matrix(a, b, labels=labels)
    confusion = pd.DataFrame(matrix, index=pd.Index(labels, name="first"),
                             columns=pd.Index(labels, name="second"))
    kappa = float(cohen_kappa_score(a, b, labels=labels)) if len(labels) > 1 else 1.0
    se = kappa_se(matrix)
    ci = (max(-1.0, kappa - Z95 * se), min(1.0, kappa + Z95 * se))
    return Agreement(len(a), kappa, float((a.to_numpy() == b.to_numpy()).mean()), confusion,
                     se, ci, left_out)


def kappa_se(matrix) -> float:
    """Large-sample standard error of Cohen's kappa (Fleiss, Cohen & Everitt 1969).

    With p the confusion proportions, row/column margins r and c, observed agreement
    po and chance agreement pe: var = [Σ_i p_ii (1 − (r_i + c_i)(1 − κ))² + (1 − κ)²
    Σ_{i≠j} p_ij (c_i + r_j)² − (κ − pe(1 − κ))²] / (n (1 − pe)²). 0 when pe = 1.
    """
    import numpy as np

    counts = np.asarray(matrix, dtype=float)
    n = counts.sum()
    p = counts / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = np.trace(p), float(rows @ cols)
    if pe >= 1:
        return 0.0
    kappa = (po - pe) / (1 - pe)
    diagonal = sum(p[i, i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(len(p)))
    weights = (cols[:, None] + rows[None, :]) ** 2  # (c_i + r_j)^2 for cell (i, j)
    off = (1 - kappa) ** 2 * float((p * weights).sum() - (np.diag(p) * np.diag(weights)).sum())
    variance = (diagonal + off - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    return float(np.sqrt(max(variance, 0.0)))
