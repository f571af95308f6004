"""Judge validation: agreement of a judge's verdicts with human labels or another judge.

The study validated its LLM judge against human annotations; ``warmreg judge-agreement``
does the same for any results file: Cohen's kappa, raw agreement and the confusion
matrix over the verdict labels, on the rows both files share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warmreg.api import LABELS
from warmreg.errors import WarmregError

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

    def to_markdown(self) -> str:
        return (f"rows compared: {self.n}\nCohen's kappa: {self.kappa:.3f}\n"
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
    import pandas as pd
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    keys = [k for k in KEYS if k in first.columns and k in second.columns]
    joined = first[keys + [first_col]].merge(second[keys + [second_col]], on=keys,
                                             suffixes=("_a", "_b"), validate="one_to_one")
    if joined.empty:
        raise AgreementError(f"the two files share no rows on {', '.join(keys)}")
    a = joined[f"{first_col}_a" if first_col == second_col else first_col]
    b = joined[f"{second_col}_b" if first_col == second_col else second_col]
    labels = [label for label in LABELS if label in set(a) | set(b)]
    matrix = confusion_matrix(a, b, labels=labels)
    confusion = pd.DataFrame(matrix, index=pd.Index(labels, name="first"),
                             columns=pd.Index(labels, name="second"))
    kappa = float(cohen_kappa_score(a, b, labels=labels)) if len(labels) > 1 else 1.0
    return Agreement(len(joined), kappa, float((a.to_numpy() == b.to_numpy()).mean()), confusion)
