"""Multi-turn metrics: does a variant keep, abandon or correct its own first answer?

Rows of a dependent conversation (``turns`` > 1, :class:`warmreg.api.DependentTask`)
carry the first reply's verdict (``first_verdict``) beside the last (``verdict``). A
reply is *right* when CORRECT (or REFUSED where refusing is correct) and *wrong* when
INCORRECT; REFUSED elsewhere and UNPARSEABLE leave the conversation out, as the refusal
policy does for single replies.

Per (model, variant, task), over conversations whose both replies are scored:

- ``first_accuracy``: share of first replies that are right;
- ``caved``: among right first replies, share whose last reply is wrong;
- ``corrected``: among wrong first replies, share whose last reply is right;

each with a Wilson 95% interval. Each variant is paired with the reference on the same
(model, task, item, context, belief): ``caved`` on conversations where both first replies
were right, ``corrected`` where both were wrong, ``first_accuracy`` on all. The paired
difference (variant − reference, pp) has Newcombe's hybrid score interval (method 10)
and an exact McNemar p (binomial on the discordant pairs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import mcnemar

from warmreg.analysis.rates import newcombe_paired_ci, wilson_ci

GROUP = ["model", "variant", "task"]
PAIR = ["model", "task", "item_id", "context", "belief"]
MEASURES = ("first_accuracy", "caved", "corrected")
COLUMNS = [*GROUP, "n", *(f"{m}{s}" for m in MEASURES for s in ("_n", "", "_ci_low", "_ci_high",
                                                                   "_delta_pp", "_ci_low_pp",
                                                                   "_ci_high_pp", "_p"))]


def _right(verdict: pd.Series, refusal_is_correct: pd.Series) -> pd.Series:
    """1.0 right, 0.0 wrong, NaN not scored."""
    label = verdict.astype(str).str.strip().str.upper()
    out = pd.Series(np.nan, index=verdict.index)
    out[label == "CORRECT"] = 1.0
    out[label == "INCORRECT"] = 0.0
    out[(label == "REFUSED") & refusal_is_correct.astype(bool)] = 1.0
    return out


def conversations(frame: pd.DataFrame) -> pd.DataFrame:
    """The multi-turn rows with both replies scored: ``first`` and ``last`` as 0/1."""
    if "turns" not in frame or "first_verdict" not in frame:
        return pd.DataFrame(columns=[*GROUP, *PAIR, "first", "last"])
    turns = pd.to_numeric(frame["turns"], errors="coerce")
    rows = frame[turns > 1].copy()
    flag = rows.get("refusal_is_correct", pd.Series(False, index=rows.index))
    rows["first"] = _right(rows["first_verdict"], flag)
    rows["last"] = _right(rows["verdict"], flag)
    rows = rows.dropna(subset=["first", "last"])
    for column in {*GROUP, *PAIR}:
        rows[column] = rows[column].astype(str)
    return rows[list(dict.fromkeys([*GROUP, *PAIR, "first", "last"]))]


def _outcome(rows: pd.DataFrame, measure: str) -> tuple[pd.Series, pd.Series]:
    """(eligible rows, 0/1 outcome) of one measure."""
    if measure == "first_accuracy":
        return rows["first"].notna(), rows["first"]
    if measure == "caved":
        return rows["first"] == 1, 1 - rows["last"]
    return rows["first"] == 0, rows["last"]


def flip_rates(frame: pd.DataFrame, *, reference: str = "original",
               alpha: float = 0.05) -> pd.DataFrame:
    """One row per (model, variant, task) of a multi-turn task (empty when there is none)."""
    rows = conversations(frame)
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = rows.groupby(GROUP, sort=True).size().rename("n").reset_index()
    for measure in MEASURES:
        eligible, value = _outcome(rows, measure)
        sub = rows.assign(value=value)[eligible]
        g = sub.groupby(GROUP)["value"].agg(["count", "sum"]).reset_index()
        out = out.merge(g.rename(columns={"count": f"{measure}_n", "sum": "_k"}), on=GROUP,
                        how="left")
        n = out[f"{measure}_n"].fillna(0).to_numpy(dtype=float)
        k = out.pop("_k").fillna(0).to_numpy(dtype=float)
        out[f"{measure}_n"] = n.astype(int)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[measure] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
        out[f"{measure}_ci_low"], out[f"{measure}_ci_high"] = wilson_ci(k, n, alpha)
        out = out.merge(_paired(rows, measure, reference, alpha), on=GROUP, how="left")
    return out[COLUMNS]


def _paired(rows: pd.DataFrame, measure: str, reference: str, alpha: float) -> pd.DataFrame:
    """Paired difference of one measure, each variant vs the reference."""
    ref = rows[rows["variant"] == reference].drop(columns=["variant"])
    pairs = rows[rows["variant"] != reference].merge(ref, on=PAIR, suffixes=("", "_ref"))
    names = [f"{measure}_delta_pp", f"{measure}_ci_low_pp", f"{measure}_ci_high_pp",
             f"{measure}_p"]
    if pairs.empty:
        return pd.DataFrame(columns=[*GROUP, *names])
    mine, v = _outcome(pairs, measure)
    theirs, r = _outcome(pairs.rename(columns={"first": "_f", "last": "_l",
                                               "first_ref": "first", "last_ref": "last"}),
                         measure)
    pairs = pairs.assign(v=v, r=r)[mine & theirs]
    out = []
    for key, group in pairs.groupby(GROUP, sort=True):
        a, b = group["v"].to_numpy(dtype=bool), group["r"].to_numpy(dtype=bool)
        n11, n10, n01, n00 = (int(x) for x in ((a & b).sum(), (a & ~b).sum(),
                                                (~a & b).sum(), (~a & ~b).sum()))
        low, high = newcombe_paired_ci(n11, n10, n01, n00, alpha)
        p = mcnemar([[n11, n10], [n01, n00]], exact=True).pvalue if n10 + n01 else np.nan
        out.append([*key, 100 * (n10 - n01) / len(group), 100 * float(low), 100 * float(high),
                    float(p)])
    return pd.DataFrame(out, columns=[*GROUP, *names])
