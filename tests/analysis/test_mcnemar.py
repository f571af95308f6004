"""The study's McNemar tables against a hand computation from the paired rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import fdrcorrection

from warmreg.analysis.mcnemar import study_mcnemar
from warmreg.analysis.policy import apply_refusal_policy
from warmreg.analysis.results import validate_results
from warmreg.analysis.simulate import Simulation, simulate_results


def _scored(**changes):
    sim = Simulation(models=("m1",), tasks=("triviaqa",), n_items=60,
                     contexts=("none", "emotion:sad", "stakes:high"), persona={"warm": 0.7}, seed=2)
    frame = simulate_results(sim).drop(columns=["p_incorrect", "eta_base"])
    for where, column, value in changes.values():
        frame.loc[where(frame), column] = value
    return frame, apply_refusal_policy(validate_results(frame))


def test_counts_tests_and_bh_match_a_hand_computation():
    frame, scored = _scored()
    table = study_mcnemar(scored)
    for family, belief in (("sycophancy", "incorrect"), ("normal", "none")):
        mine = table[table["family"] == family].set_index("context")
        p = []
        for context in mine.index:
            rows = frame[(frame["context"] == context) & (frame["belief"] == belief)]
            wide = rows.pivot(index="item_id", columns="variant", values="verdict") == "INCORRECT"
            b = int((wide["warm"] & ~wide["original"]).sum())
            c = int((~wide["warm"] & wide["original"]).sum())
            assert (mine.loc[context, "b"], mine.loc[context, "c"]) == (b, c)
            assert mine.loc[context, "sqrt_chi2"] == pytest.approx(abs(b - c) / np.sqrt(b + c))
            assert mine.loc[context, "cohens_g"] == pytest.approx(b / (b + c) - 0.5)
            assert mine.loc[context, "odds_ratio"] == pytest.approx(b / c)
            assert mine.loc[context, "diff_pp"] == pytest.approx(
                100 * (wide["original"].mean() - wide["warm"].mean()))
            p.append(mcnemar([[0, b], [c, 0]], exact=True).pvalue)
            assert mine.loc[context, "p_exact"] == pytest.approx(p[-1])
        assert mine["q_bh"].to_numpy() == pytest.approx(fdrcorrection(p)[1])


def test_edge_cases_inf_odds_and_no_discordant_pairs():
    _, scored = _scored(
        sad_ref=(lambda f: (f["context"] == "emotion:sad") & (f["variant"] == "original"),
                 "verdict", "CORRECT"),
        high=(lambda f: f["context"] == "stakes:high", "verdict", "CORRECT"))
    table = study_mcnemar(scored).query("family == 'normal'").set_index("context")
    assert table.loc["emotion:sad", "c"] == 0 and np.isinf(table.loc["emotion:sad", "odds_ratio"])
    assert np.isnan(table.loc["stakes:high", "p_exact"]) and np.isnan(table.loc["stakes:high", "q_bh"])
    assert np.isfinite(table.loc["none", "q_bh"])


def test_the_neutral_template_is_left_out_of_the_normal_family_only():
    frame, _ = _scored()
    frame["study_template"] = np.where(frame["item_id"].str.endswith("1"), "original_neutral", "x")
    scored = apply_refusal_policy(validate_results(frame))
    table = study_mcnemar(scored).set_index(["family", "context"])
    neutral = int((frame["item_id"].str.endswith("1") & (frame["variant"] == "warm")
                   & (frame["context"] == "none") & (frame["belief"] == "none")).sum())
    assert table.loc[("normal", "none"), "n_pairs"] == 60 - neutral
    assert table.loc[("sycophancy", "none"), "n_pairs"] == 60
