"""The warmth manipulation check beside the effects."""

from __future__ import annotations

import pandas as pd
import pytest

from warmreg.analysis.results import ResultsError
from warmreg.analysis.warmth import validate_warmth, warmth_at_epoch, warmth_beside_effects

WARMTH = pd.DataFrame({
    "variant": ["original", "warm", "warm", "warm", "cold"],
    "epoch": [None, 1.0, 2.0, 4.0, 1.5],
    "score": [0.1, 0.5, 0.9, 1.2, -0.4],
    "ci_low": [0.0, 0.4, 0.8, 1.1, -0.5], "ci_high": [0.2, 0.6, 1.0, 1.3, -0.3],
})


def test_checkpoint_nearest_the_evaluated_epoch():
    picked = warmth_at_epoch(WARMTH, 2.0).set_index("variant")
    assert picked.loc["warm", "epoch"] == 2.0 and picked.loc["cold", "epoch"] == 1.5
    assert picked.loc["original", "score"] == 0.1
    assert picked.loc["warm", "delta"] == pytest.approx(0.8)


def test_beside_the_main_effect_and_mean_alias():
    ames = pd.DataFrame({"variant": ["warm", "cold"], "analysis": "main", "level": "",
                         "ame_pp": [8.0, 0.5], "ci_low_pp": [5.0, -2.0], "ci_high_pp": [11.0, 3.0]})
    table = warmth_beside_effects(warmth_at_epoch(WARMTH.rename(columns={"score": "mean"}), 2.0),
                                  ames)
    warm = table.set_index("variant").loc["warm"]
    assert (warm["score"], warm["ame_pp"]) == (0.9, 8.0)


def test_bad_tables_are_named():
    with pytest.raises(ResultsError, match="missing column 'ci_low'"):
        validate_warmth(WARMTH.drop(columns="ci_low"))
    with pytest.raises(ResultsError, match="column 'score': invalid value 'high' at row 2"):
        validate_warmth(WARMTH.assign(score=[0.1, "high", 0.9, 1.2, -0.4]))


def test_the_end_of_run_summary_shows_the_check():
    from warmreg.analysis import analyze
    from warmreg.analysis.simulate import Simulation, simulate_results

    sim = Simulation(n_items=30, variants=("original", "warm", "cold"), tasks=("triviaqa",),
                     contexts=("none",), persona={"warm": 0.5}, seed=1)
    frame = simulate_results(sim).drop(columns=["p_incorrect", "eta_base"])
    text = analyze(frame, warmth=WARMTH, evaluate_epoch=2.0).to_markdown()
    section = text[text.index("### Warmth check"):]
    assert "| variant | epoch | score | delta |" in section
    assert "| warm | 2 | +0.900 [+0.800, +1.000] | +0.800 |" in section
    assert "| original | – | +0.100 [+0.000, +0.200] | +0.000 |" in section
    assert "| cold | 1.5 | -0.400 [-0.500, -0.300] | -0.500 |" in section
    assert "### Warmth check" not in analyze(frame).to_markdown()


def test_the_evaluated_checkpoint_follows_the_run_not_a_constant():
    marked = WARMTH.assign(evaluated=[True, False, False, True, True])  # evaluate_epoch: 4
    assert warmth_at_epoch(marked).set_index("variant").loc["warm", "epoch"] == 4.0
    from_results = {("", "warm"): 1.0, ("", "cold"): 1.5}  # results' checkpoint_epoch
    picked = warmth_at_epoch(WARMTH, evaluated=from_results).set_index("variant")
    assert picked.loc["warm", "epoch"] == 1.0 and picked.loc["warm", "delta"] == pytest.approx(0.4)
    assert warmth_at_epoch(marked, 2.0).set_index("variant").loc["warm", "epoch"] == 2.0


def test_results_checkpoint_epoch_picks_the_warmth_row():
    from warmreg.analysis import analyze
    from warmreg.analysis.simulate import Simulation, simulate_results

    sim = Simulation(n_items=30, variants=("original", "warm", "cold"), tasks=("triviaqa",),
                     contexts=("none",), persona={"warm": 0.5}, seed=1)
    frame = simulate_results(sim).drop(columns=["p_incorrect", "eta_base"])
    frame["checkpoint_epoch"] = frame["variant"].map({"warm": 4.0, "cold": 1.5})
    table = analyze(frame, warmth=WARMTH).warmth.set_index("variant")
    assert table.loc["warm", "epoch"] == 4.0 and table.loc["cold", "epoch"] == 1.5


def test_an_unknown_evaluated_checkpoint_is_an_error():
    with pytest.raises(ResultsError, match="variant 'warm' has several checkpoints"):
        warmth_at_epoch(WARMTH)
