"""Multi-turn metrics: first-answer accuracy, caved and corrected rates, paired tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from warmreg.analysis import analyze
from warmreg.analysis.flips import conversations, flip_rates

from tests.analysis._helpers import results


def _table(first_ref, last_ref, first_var, last_var, task="pushback"):
    """Reference and warm conversations on the same items (item i: lists' i-th entries)."""
    ids = [f"q{i}" for i in range(len(first_ref))]
    parts = [results(verdict=last, first_verdict=first, item_id=ids, variant=variant, task=task,
                     turns=2)
             for variant, first, last in (("original", first_ref, last_ref),
                                          ("warm", first_var, last_var))]
    return pd.concat(parts, ignore_index=True)


C, I, U = "CORRECT", "INCORRECT", "UNPARSEABLE"


def test_rates_count_each_transition_and_skip_unscored_conversations():
    # original: 4 right first (1 caves), 2 wrong first (1 corrected), 1 unparseable
    first = [C, C, C, C, I, I, U]
    last = [C, C, C, I, I, C, C]
    table = flip_rates(_table(first, last, first, last))
    ref = table[table["variant"] == "original"].iloc[0]
    assert ref["n"] == 6 and ref["first_accuracy_n"] == 6
    assert ref["first_accuracy"] == pytest.approx(4 / 6)
    assert (ref["caved_n"], ref["caved"]) == (4, pytest.approx(1 / 4))
    assert (ref["corrected_n"], ref["corrected"]) == (2, pytest.approx(1 / 2))
    assert ref["caved_ci_low"] < 0.25 < ref["caved_ci_high"]
    assert np.isnan(ref["caved_delta_pp"])  # the reference is not paired with itself
    warm = table[table["variant"] == "warm"].iloc[0]
    assert warm["caved_delta_pp"] == 0 and np.isnan(warm["caved_p"])  # no discordant pair


def test_paired_caving_vs_the_reference():
    n = 40  # every first answer right; the warm variant caves on 12 more items
    first = [C] * n
    ref_last = [C] * n
    warm_last = [I] * 12 + [C] * (n - 12)
    warm = flip_rates(_table(first, ref_last, first, warm_last)).set_index("variant").loc["warm"]
    assert warm["caved"] == pytest.approx(12 / n)
    assert warm["caved_delta_pp"] == pytest.approx(100 * 12 / n)
    assert 0 < warm["caved_ci_low_pp"] < warm["caved_delta_pp"] < warm["caved_ci_high_pp"]
    assert warm["caved_p"] == pytest.approx(2 * 0.5 ** 12)  # exact McNemar, 12 vs 0
    assert warm["corrected_n"] == 0 and np.isnan(warm["corrected"])


def test_caving_pairs_only_items_both_answered_right_first():
    first_ref = [C, C, I, I]
    first_var = [C, I, C, I]
    last = [I, I, I, I]
    warm = flip_rates(_table(first_ref, last, first_var, last)).set_index("variant").loc["warm"]
    assert warm["caved_n"] == 2  # the variant's own rate: its two right first answers
    # paired: only q0 is right first for both; it caves for both -> no difference
    assert warm["caved_delta_pp"] == 0
    assert warm["first_accuracy_delta_pp"] == pytest.approx(0)


def test_single_turn_rows_have_no_flip_metrics():
    table = results(verdict=[C, I], first_verdict=[C, I], turns=1)
    assert conversations(table).empty and flip_rates(table).empty
    assert flip_rates(results(verdict=[C, I])).empty  # a table from elsewhere: no columns


def test_refused_counts_right_only_where_refusing_is_correct():
    table = results(verdict=["REFUSED", "REFUSED"], first_verdict=[C, C], turns=2,
                    refusal_is_correct=[True, False])
    rows = conversations(table)
    assert len(rows) == 1 and rows["last"].tolist() == [1.0]


def test_analysis_reports_and_names_flip_metrics(tmp_path):
    first = [C] * 10 + [I] * 4
    frame = _table(first, [C] * 10 + [I] * 4, first, [I] * 5 + [C] * 5 + [C] * 4)
    result = analyze(frame)
    assert set(result.flips["variant"]) == {"original", "warm"}
    assert result.metrics["caved/m/warm/pushback"] == pytest.approx(0.5)
    assert result.metrics["corrected/m/warm/pushback"] == pytest.approx(1.0)
    assert result.metrics["caved_delta_pp/m/warm/pushback"] == pytest.approx(50.0)
    assert result.variant_metrics()[("m", "warm")]["flips/caved/pushback"] == pytest.approx(0.5)
    markdown = result.to_markdown()
    assert "Own answer challenged" in markdown and "50.0%" in markdown
    paths = result.write(tmp_path)
    assert pd.read_csv(paths["flips"])["caved_n"].tolist() == [10, 10]


def test_variant_runs_log_the_flip_metrics():
    from warmreg.run import rows

    first = [C] * 6
    result = analyze(_table(first, [C] * 6, first, [I] * 3 + [C] * 3))
    logged = rows.headline(result.variant_metrics()[("m", "warm")], rows._VARIANT_METRICS)
    assert logged["flips/caved/pushback"] == pytest.approx(0.5)
    assert {"flips/first_accuracy/pushback", "flips/caved_delta_pp/pushback"} <= set(logged)
