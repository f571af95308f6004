"""Error rates per cell and paired reliability deltas against the reference.

Error rates carry Wilson score intervals (statsmodels ``proportion_confint``).

The delta of a variant is its error rate minus the reference's on the *same* items
(matched pairs; items scored for only one of them are left out). Its interval is
Newcombe's hybrid score interval for a difference of paired proportions (method 10 of
Newcombe, Stat Med 1998;17:2635–2650): Wilson intervals of the two marginal rates,
combined with the phi correlation of the paired 2x2 table. It stays inside [−1, 1],
behaves at rates near 0 or 1, and reduces to Newcombe's independent-samples hybrid
score interval when phi is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from warmreg.analysis.policy import exclusion_counts
from warmreg.analysis.results import CELL


def wilson_ci(count, nobs, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of count/nobs (vectorised); NaN where ``nobs`` is 0."""
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    ok = nobs > 0
    low = np.full(np.shape(nobs), np.nan)
    high = np.full(np.shape(nobs), np.nan)
    if ok.any():
        low[ok], high[ok] = proportion_confint(count[ok], nobs[ok], alpha=alpha, method="wilson")
    return low, high


def error_rates(scored: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Error rate with a Wilson interval per (model, variant, task, context, belief).

    Args:
        scored: a scored table (:func:`~warmreg.analysis.policy.apply_refusal_policy`).
        alpha: 1 − confidence level.

    Returns:
        One row per cell: ``category``, ``n`` (scored rows), ``n_incorrect``,
        ``error_rate``, ``ci_low``, ``ci_high``, ``n_rows``, ``n_excluded_refused``,
        ``n_unparseable``, ``n_endpoint_error``, ``n_refusal_correct``.
    """
    keys = [scored[c] for c in CELL]
    grouped = scored.groupby(keys, observed=True, sort=True)
    rates = pd.DataFrame({
        "category": grouped["category"].first(),
        "n": grouped["incorrect"].count(),
        "n_incorrect": grouped["incorrect"].sum().astype(int),
    }).reset_index()
    rates = rates.merge(exclusion_counts(scored), on=list(CELL), how="left")
    n = rates["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates["error_rate"] = np.where(n > 0, rates["n_incorrect"] / n, np.nan)
    rates["ci_low"], rates["ci_high"] = wilson_ci(rates["n_incorrect"], n, alpha)
    columns = [*CELL, "category", "n", "n_incorrect", "error_rate", "ci_low", "ci_high",
               "n_rows", "n_excluded_refused", "n_unparseable", "n_endpoint_error",
               "n_refusal_correct"]
    return rates[columns]


def newcombe_paired_ci(n11, n10, n01, n00, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval (method 10) for p_variant − p_reference.

    Args:
        n11, n10, n01, n00: paired counts (rows: variant 1/0, columns: reference 1/0),
            scalars or arrays.
        alpha: 1 − confidence level.

    Returns:
        (low, high) as proportions; NaN where there are no pairs.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (n11, n10, n01, n00))
    n = a + b + c + d
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = (a + b) / n, (a + c) / n
        l1, u1 = wilson_ci(a + b, n, alpha)
        l2, u2 = wilson_ci(a + c, n, alpha)
        denom = np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
        phi = np.where(denom > 0, (a * d - b * c) / np.where(denom > 0, denom, 1.0), 0.0)
        below = np.sqrt(np.maximum((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)
                                   + (u2 - p2) ** 2, 0.0))
        above = np.sqrt(np.maximum((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2)
                                   + (p2 - l2) ** 2, 0.0))
    delta = p1 - p2
    return np.clip(delta - below, -1.0, 1.0), np.clip(delta + above, -1.0, 1.0)


def paired_deltas(counts: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Reliability delta of each variant vs the reference on matched items.

    Args:
        counts: a table from :func:`~warmreg.analysis.paired.paired_counts`.
        alpha: 1 − confidence level.

    Returns:
        The grouping columns, ``category``, ``n_pairs``, ``error_rate_reference`` and
        ``error_rate_variant`` (on the matched items), ``delta_pp`` and its Newcombe
        interval ``ci_low_pp`` / ``ci_high_pp`` (percentage points).
    """
    out = counts.drop(columns=["n11", "n10", "n01", "n00"]).copy()
    n = counts["n_pairs"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["error_rate_reference"] = (counts["n11"] + counts["n01"]) / n
        out["error_rate_variant"] = (counts["n11"] + counts["n10"]) / n
    out["delta_pp"] = 100 * (out["error_rate_variant"] - out["error_rate_reference"])
    low, high = newcombe_paired_ci(counts["n11"], counts["n10"], counts["n01"], counts["n00"],
                                   alpha)
    out["ci_low_pp"], out["ci_high_pp"] = 100 * low, 100 * high
    return out


def pooled_delta(counts: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Delta (pp) and Newcombe CI of the 2x2 tables of ``counts`` summed into one."""
    n11, n10, n01, n00 = (float(counts[c].sum()) for c in ("n11", "n10", "n01", "n00"))
    n = n11 + n10 + n01 + n00
    low, high = newcombe_paired_ci(n11, n10, n01, n00, alpha)
    delta = (n10 - n01) / n if n else float("nan")
    return {"delta_pp": 100 * delta, "delta_ci_low_pp": 100 * float(low),
            "delta_ci_high_pp": 100 * float(high), "n_pairs": int(n)}
