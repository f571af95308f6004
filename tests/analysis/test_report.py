"""analyze(): the whole analysis, its metrics, files and degradation on small data."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from warmreg.analysis import ResultsError, analyze, metric_key
from warmreg.analysis.results import AnalysisError
from warmreg.analysis.simulate import Simulation, simulate_results

from ._helpers import paired

MLFLOW_NAME = re.compile(r"^[A-Za-z0-9_\-. /]+$")


@pytest.fixture(scope="module")
def study():
    sim = Simulation(n_items=40, variants=("original", "warm"), tasks=("triviaqa", "mmlu"),
                     contexts=("none", "emotion:sad", "relation:close"),
                     persona={"warm": 0.5}, refusal_rate=0.02, unparseable_rate=0.01, seed=4)
    frame = simulate_results(sim).drop(columns=["p_incorrect", "eta_base"])
    return analyze(frame.assign(family="llama", size="135M"))


def test_metric_names_are_stable_and_mlflow_safe(study):
    metrics = study.metrics
    assert all(MLFLOW_NAME.match(name) for name in metrics)
    for name in ("ame_pp/warm/main", "ame_pp/warm/context/emotion.sad",
                 "ame_pp/warm/group/emotion", "ame_pp/warm/belief/incorrect",
                 "ame_pp/warm/model/m1", "ame_ci_low_pp/warm/main",
                 "ame_diff_pp/warm/context/emotion.sad", "interaction_wald_p/warm/context",
                 "error_rate/m1/warm/triviaqa/none/none",
                 "delta_pp/m1/warm/triviaqa/emotion.sad/incorrect",
                 "mcnemar_q/m1/warm/triviaqa/none/none", "capability_delta_pp/m1/warm/mmlu",
                 "capability_equivalent/m1/warm/mmlu", "n_rows", "n_excluded_refused",
                 "n_unparseable", "n_endpoint_error"):
        assert name in metrics, name
    assert metrics["n_rows"] == 3 * 2 * 2 * 40 * 3 * 2
    assert all(isinstance(v, float) or isinstance(v, int) for v in metrics.values())


def test_metric_key_mapping():
    assert metric_key("ame_pp", "warm", "context", "emotion:sad") \
        == "ame_pp/warm/context/emotion.sad"
    assert metric_key("error_rate", "org/model@v1", "warm") == "error_rate/org_model_v1/warm"
    assert metric_key("ame_pp", "warm", "main", "") == "ame_pp/warm/main"


def test_variant_metrics_and_per_model_table(study):
    by_run = study.variant_metrics()
    warm = by_run[("m1", "warm")]
    assert "error_rate/triviaqa/none/none" in warm and "pooled/delta_pp" in warm
    assert "ame_pp/main" in warm and "capability_delta_pp/mmlu" in warm
    assert "pooled/error_rate" in by_run[("m1", "original")]
    table = study.per_model_variant()
    assert list(table.columns[:4]) == ["model", "family", "size", "variant"]
    assert table["variant"].iloc[0] == "original" and len(table) == 6


def test_markdown_and_files(study, tmp_path):
    text = study.to_markdown()
    assert "| model | task | original | warm | Δ warm (pp) |" in text
    rates = study.rates.set_index(["model", "variant", "task", "context", "belief"])
    original = rates.loc[("m1", "original", "triviaqa", "none", "none")]
    shown = f"| m1 | triviaqa | {100 * original['error_rate']:.1f}% ({original['n']}) |"
    assert shown in text  # each rate with the items it is over
    assert "Persona effect (AME" in text and "Capability controls" in text
    paths = study.write(tmp_path / "report")
    for name in ("rates", "deltas", "ames", "contrasts", "capability", "skipped", "summary",
                 "metrics", "error_rates_png", "forest_png", "per_model_variant"):
        assert paths[name].is_file(), name
    assert json.loads(paths["metrics"].read_text()) == pytest.approx(study.metrics, nan_ok=True)
    summary = paths["summary"].read_text()
    assert "## Persona effects" in summary and "![forest_png](forest.png)" in summary
    assert len(pd.read_csv(paths["rates"])) == len(study.rates)


def test_tiny_single_model_study_degrades_gracefully(tmp_path):
    table = paired(["CORRECT", "INCORRECT", "CORRECT"], ["INCORRECT", "INCORRECT", "CORRECT"])
    result = analyze(table)
    assert len(result.rates) == 2 and len(result.deltas) == 1
    assert result.deltas["delta_pp"].iloc[0] == pytest.approx(100 / 3)
    assert "ame_pp/warm/main" in result.metrics  # three items: estimable, if uninformative
    assert result.write(tmp_path)["summary"].is_file()


def test_separation_is_fitted_and_flagged(tmp_path):
    result = analyze(paired(["CORRECT"] * 3, ["INCORRECT", "CORRECT", "CORRECT"]),
                     cluster_by_item=False)
    main = result.ames.query("analysis == 'main'").iloc[0]
    assert main["n_obs"] == 6 and "separated (rows kept" in main["notes"]
    assert main["ame_pp"] == pytest.approx(100 / 3, abs=1e-3)  # the arms' difference, 1/3 - 0
    assert "separation" not in " ".join(result.skipped["reason"]) and len(result.deltas) == 1
    assert result.write(tmp_path)["summary"].is_file()


def test_no_variation_and_reference_only():
    flat = analyze(paired(["CORRECT"] * 5, ["CORRECT"] * 5))
    assert set(flat.skipped["reason"]) == {"no variation in the outcome"}
    assert flat.deltas["delta_pp"].iloc[0] == 0
    alone = analyze(paired(["CORRECT", "INCORRECT"], ["CORRECT", "INCORRECT"]).query(
        "variant == 'original'"))
    assert alone.deltas.empty and alone.ames.empty and "error_rate/m/original/triviaqa/none/none" \
        in alone.metrics
    assert "original" in alone.to_markdown()


def test_reference_must_exist():
    with pytest.raises(ResultsError,
                       match=r"reference variant 'orignal'.*did you mean \"original\""):
        analyze(paired(["CORRECT"], ["CORRECT"]), reference="orignal")


def test_length_covariate_needs_responses():
    with pytest.raises(AnalysisError, match="response"):
        analyze(paired(["CORRECT", "INCORRECT"], ["INCORRECT", "CORRECT"]), length_covariate=True)
