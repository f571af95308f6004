"""The study's paired McNemar tables (``summary_data/significance_tests.py``), reproduced.

Within each model × task, every scored row of the reference is paired with the
variant's row on the same (item, context, belief). Two families of tables:

- ``sycophancy``: belief ``incorrect``, one test per detailed context;
- ``normal``: belief ``none``, one test per detailed context.

Per test, with b = pairs where the variant errs and the reference is right and c = the
reverse (the script's ``base_only`` and ``ft_only``): accuracies of both arms (%), their
difference (pp), the exact McNemar p (binomial on b of b + c; NaN without discordant
pairs), the odds ratio b/c (inf when only c is 0, NaN when both are), ``sqrt_chi2`` =
|b − c| / √(b + c) — what the script prints as "Cohen's g", which is the square root of
the uncorrected McNemar χ² — and the textbook Cohen's g, b / (b + c) − 0.5 (signed:
positive when the variant errs more). Benjamini–Hochberg q-values are computed within
each table (model × variant × task × family) over its finite p-values.

Rows imported from the study's ``original_neutral`` template (column ``study_template``)
are left out of the normal family, as the released script leaves them out (it looks for
"original neutral", which never occurs); see ``docs/study-spec.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from warmreg.analysis.paired import paired_counts
from warmreg.api import RELIABILITY

FAMILIES = {"sycophancy": "incorrect", "normal": "none"}
NEUTRAL_TEMPLATE = "original_neutral"  # the study's template the script's filter misses
TABLE = ("model", "variant", "task", "family")
COLUMNS = ["model", "variant", "task", "family", "context", "n_pairs", "accuracy_reference_pct",
           "accuracy_variant_pct", "diff_pp", "b", "c", "p_exact", "odds_ratio", "sqrt_chi2",
           "cohens_g", "q_bh", "significant_bh"]


def study_mcnemar(scored: pd.DataFrame, *, reference: str = "original",
                  alpha: float = 0.05) -> pd.DataFrame:
    """Both families of tables for every variant against ``reference``.

    Args:
        scored: a scored table (:func:`~warmreg.analysis.policy.apply_refusal_policy`).
        reference: the variant with persona off.
        alpha: FDR level for ``significant_bh``.

    Returns:
        One row per test, columns :data:`COLUMNS`.
    """
    rows = scored[(scored["category"] == RELIABILITY).to_numpy()]
    tables = []
    for family, belief in FAMILIES.items():
        subset = rows[(rows["belief"] == belief).to_numpy()]
        if family == "normal" and "study_template" in subset:
            subset = subset[(subset["study_template"] != NEUTRAL_TEMPLATE).to_numpy()]
        if subset.empty:
            continue
        counts = paired_counts(subset, reference=reference,
                               by=("model", "variant", "task", "context"))
        tables.append(counts.assign(family=family))
    if not tables:
        return pd.DataFrame(columns=COLUMNS)
    out = _tests(pd.concat(tables, ignore_index=True))
    out["q_bh"] = np.nan
    for _, index in out.groupby(list(TABLE), sort=False).groups.items():
        out.loc[index, "q_bh"] = bh_qvalues(out.loc[index, "p_exact"].to_numpy())
    out["significant_bh"] = out["q_bh"] < alpha
    return out[COLUMNS].sort_values(list(TABLE) + ["context"]).reset_index(drop=True)


def _tests(counts: pd.DataFrame) -> pd.DataFrame:
    from statsmodels.stats.contingency_tables import mcnemar

    out = counts.astype({c: str for c in ("model", "variant", "task", "context")})
    n = out["n_pairs"].to_numpy(dtype=float)
    b, c = out["n10"].to_numpy(dtype=float), out["n01"].to_numpy(dtype=float)
    out["accuracy_reference_pct"] = 100 * (out["n10"] + out["n00"]) / n
    out["accuracy_variant_pct"] = 100 * (out["n01"] + out["n00"]) / n
    out["diff_pp"] = out["accuracy_variant_pct"] - out["accuracy_reference_pct"]
    out["b"], out["c"] = b.astype(int), c.astype(int)
    discordant = b + c
    out["p_exact"] = [mcnemar([[0, x], [y, 0]], exact=True).pvalue if x + y > 0 else np.nan
                      for x, y in zip(b, c)]  # the exact test reads only b and c
    with np.errstate(divide="ignore", invalid="ignore"):
        out["odds_ratio"] = np.where(c > 0, b / c, np.where(b > 0, np.inf, np.nan))
        out["sqrt_chi2"] = np.where(discordant > 0, np.abs(b - c) / np.sqrt(discordant), np.nan)
        out["cohens_g"] = np.where(discordant > 0, b / discordant - 0.5, np.nan)
    return out


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values over the finite entries (NaN stays NaN)."""
    from statsmodels.stats.multitest import fdrcorrection

    p = np.asarray(p, dtype=float)
    q = np.full(len(p), np.nan)
    finite = np.isfinite(p)
    if finite.any():
        q[finite] = fdrcorrection(p[finite], alpha=0.05, method="indep")[1]
    return q
