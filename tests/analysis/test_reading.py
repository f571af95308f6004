"""The end-of-run table in words: CIs including zero, thinly scored cells, the headline."""

import pandas as pd

from warmreg.analysis.reading import (ci_words, effect_text, headline, low_scored_cells,
                                      scored_markdown)


def _rates(shares):
    rows = []
    for i, (n, n_rows) in enumerate(shares):
        rows.append({"model": "m", "variant": f"v{i}", "task": "t", "context": "none",
                     "belief": "none", "n": n, "n_rows": n_rows})
    return pd.DataFrame(rows)


def test_ci_words():
    assert ci_words(-1.0, 2.0) == "CI includes 0"
    assert ci_words(0.0, 2.0) == "CI includes 0"
    assert ci_words(0.5, 2.0) == "CI above 0"
    assert ci_words(-3.0, -0.1) == "CI below 0"
    assert ci_words(float("nan"), 1.0) == ""
    assert effect_text(1.0, -1.0, 3.0).endswith("(CI includes 0)")
    assert "includes" not in effect_text(2.0, 1.0, 3.0)


def test_cells_under_the_share_are_flagged_lowest_first():
    rates = _rates([(60, 60), (47, 60), (49, 60), (3, 60), (0, 0)])
    low = low_scored_cells(rates, 0.8)
    assert list(low["variant"]) == ["v4", "v3", "v1"]  # 49 of 60 (82%) is not flagged
    text = scored_markdown(rates, 0.8)
    assert text.startswith("**WARNING: 3 of 5 cells have under 80%")
    assert "| m | v3 | t | none | none | 3 of 60 (5%) |" in text
    assert "v2" not in text and "v0" not in text


def test_no_flag_when_every_cell_is_scored():
    text = scored_markdown(_rates([(60, 60), (50, 60)]), 0.8)
    assert text == "Every cell has at least 80% of its replies scored (lowest 83%)."


def test_headline_states_each_effect_and_whether_its_ci_includes_zero():
    ames = pd.DataFrame([
        {"variant": "warm", "analysis": "main", "level": "none", "ame_pp": 4.2,
         "ci_low_pp": -1.5, "ci_high_pp": 9.9},
        {"variant": "cold", "analysis": "main", "level": "none", "ame_pp": -6.0,
         "ci_low_pp": -11.0, "ci_high_pp": -1.0},
        {"variant": "warm", "analysis": "belief", "level": "incorrect", "ame_pp": 30.0,
         "ci_low_pp": 20.0, "ci_high_pp": 40.0}])
    text = headline(ames, "original")
    assert "`original`" in text
    assert "warm +4.2 pp (95% CI -1.5 to +9.9; CI includes 0: no detectable change)" in text
    assert "cold -6.0 pp (95% CI -11.0 to -1.0; CI below 0: fewer errors)" in text
    assert "+30.0" not in text  # only the main effect
    assert "could be estimated" in headline(ames.iloc[0:0], "original")


def test_refusal_line_pools_each_variants_cells():
    from warmreg.analysis.reading import refusal_line

    rates = pd.DataFrame([
        {"model": "m", "variant": "warm", "category": "reliability", "n_excluded_refused": 3, "n_rows": 10},
        {"model": "m", "variant": "warm", "category": "reliability", "n_excluded_refused": 1, "n_rows": 10},
        {"model": "m", "variant": "original", "category": "reliability", "n_excluded_refused": 0, "n_rows": 20},
        {"model": "m", "variant": "warm", "category": "capability", "n_excluded_refused": 9, "n_rows": 9}])
    assert refusal_line(rates, "reliability") == (
        "Refused (reliability tasks, every context and belief): original 0.0% (0/20), "
        "warm 20.0% (4/20).")
    assert refusal_line(rates, "other") == ""
