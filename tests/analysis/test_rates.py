"""Error rates (Wilson) and paired deltas (Newcombe)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from warmreg.analysis.paired import paired_counts
from warmreg.analysis.policy import apply_refusal_policy
from warmreg.analysis.rates import error_rates, newcombe_paired_ci, paired_deltas, wilson_ci
from warmreg.analysis.results import validate_results

from ._helpers import paired, results

Z = 1.959963984540054  # standard normal 97.5% quantile


def _wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(1, 20), (5, 10), (37, 120)])
def test_wilson_matches_hand_formula(k, n):
    low, high = wilson_ci(k, n)
    assert (float(low), float(high)) == pytest.approx(_wilson_by_hand(k, n), abs=1e-12)


def test_wilson_published_value_and_empty_cell():
    low, high = wilson_ci([0, 0], [10, 0])
    assert low[0] == 0 and high[0] == pytest.approx(0.2775, abs=1e-4)  # 0/10
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_error_rates_per_cell_with_exclusions():
    table = results(verdict=["CORRECT", "INCORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE",
                             "ENDPOINT_ERROR", "ENDPOINT_ERROR"])
    rates = error_rates(apply_refusal_policy(validate_results(table)))
    row = rates.iloc[0]
    assert (row["n"], row["n_incorrect"], row["n_excluded_refused"], row["n_unparseable"],
            row["n_endpoint_error"], row["n_rows"]) == (3, 2, 1, 1, 2, 7)
    assert row["error_rate"] == pytest.approx(2 / 3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(_wilson_by_hand(2, 3))


def test_newcombe_matches_hand_computation():
    # 2x2 (rows variant 1/0, columns reference 1/0): n11=10, n10=12, n01=4, n00=24.
    n11, n10, n01, n00, n = 10, 12, 4, 24, 50
    p1, p2 = (n11 + n10) / n, (n11 + n01) / n
    l1, u1 = _wilson_by_hand(n11 + n10, n)
    l2, u2 = _wilson_by_hand(n11 + n01, n)
    phi = (n11 * n00 - n10 * n01) / math.sqrt((n11 + n10) * (n01 + n00) * (n11 + n01)
                                              * (n10 + n00))
    low = p1 - p2 - math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    high = p1 - p2 + math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    got = newcombe_paired_ci(n11, n10, n01, n00)
    assert (float(got[0]), float(got[1])) == pytest.approx((low, high), abs=1e-12)
    assert low < p1 - p2 < high


def test_newcombe_covers_about_95_percent():
    rng = np.random.default_rng(3)
    # True cell probabilities n11, n10, n01, n00: delta = 0.15 - 0.05 = +0.10.
    probs, n, reps = [0.15, 0.15, 0.05, 0.65], 60, 4000
    tables = rng.multinomial(n, probs, size=reps).T
    low, high = newcombe_paired_ci(*tables)
    coverage = np.mean((low <= 0.10) & (0.10 <= high))
    assert 0.93 <= coverage <= 0.975


def test_delta_uses_only_items_scored_for_both():
    table = paired(["CORRECT"] * 4 + ["INCORRECT"] * 2, ["INCORRECT"] * 3 + ["CORRECT"] * 2
                   + ["REFUSED"])
    deltas = paired_deltas(paired_counts(apply_refusal_policy(validate_results(table))))
    row = deltas.iloc[0]
    assert row["n_pairs"] == 5  # the refused item has no pair
    assert row["error_rate_reference"] == pytest.approx(1 / 5)
    assert row["error_rate_variant"] == pytest.approx(3 / 5)
    assert row["delta_pp"] == pytest.approx(40.0)
    assert row["ci_low_pp"] < 40 < row["ci_high_pp"]
