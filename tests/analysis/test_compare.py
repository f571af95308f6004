"""The cross-architecture comparison table."""

from __future__ import annotations

import pandas as pd
import pytest

from warmreg.analysis.compare import compare_table, parameter_count
from warmreg.analysis.results import AnalysisError

RUNS = pd.DataFrame({
    "model": ["qwen-7b", "smol", "smol", "llama-8b", "qwen-7b", "qwen-0.5b"],
    "family": ["qwen", "llama", "llama", "llama", "qwen", "qwen"],
    "size": ["7B", "135M", "135M", "8B", "7B", "0.5B"],
    "variant": ["warm", "warm", "original", "original", "original", "warm"],
    "delta_pp": [7.5, 9.0, float("nan"), float("nan"), float("nan"), 4.0],
    "error_rate": [0.3, 0.5, 0.4, 0.2, 0.25, 0.45],
    "note": ["a", "b", "c", "d", "e", "f"],
})


def test_rows_ordered_by_family_size_model_reference_first():
    table = compare_table(RUNS).table
    assert list(zip(table["model"], table["variant"])) == [
        ("smol", "original"), ("smol", "warm"), ("llama-8b", "original"),
        ("qwen-0.5b", "warm"), ("qwen-7b", "original"), ("qwen-7b", "warm")]
    assert list(table.columns) == ["family", "size", "model", "variant", "delta_pp", "error_rate"]


def test_renderings_are_self_contained(tmp_path):
    comparison = compare_table(HEADLINE_RUNS)
    html = comparison.to_html(title="<cmp>")
    assert html.count("data:image/png;base64,") == 2 and "&lt;cmp&gt;" in html
    assert "http://" not in html and "https://" not in html
    paths = comparison.write(tmp_path)
    assert set(paths) == {"csv", "md", "html"} and all(p.is_file() for p in paths.values())
    assert len(pd.read_csv(paths["csv"])) == len(HEADLINE_RUNS)


HEADLINE_RUNS = pd.DataFrame({
    "model": ["smol", "smol", "qwen"], "family": ["llama", "llama", "qwen"],
    "size": ["135M", "135M", "0.5B"], "variant": ["original", "warm", "warm"],
    "pooled/error_rate": [0.4, 0.5, 0.3], "pooled/n_scored": [60, 58, 60],
    "pooled/delta_pp": [float("nan"), 9.0, -2.0],
    "pooled/delta_ci_low_pp": [float("nan"), 2.5, -6.0],
    "pooled/delta_ci_high_pp": [float("nan"), 15.5, 2.0],
    "pooled/sycophancy_delta_pp": [float("nan")] * 3,  # no belief condition: no column shown
})


def test_the_table_reads_as_a_reader_expects():
    shown = compare_table(HEADLINE_RUNS).display()
    assert "Δ error, pp" in shown and "error rate (no context, no belief)" in shown
    assert not any(c.startswith(("pooled/", "Δ error under")) for c in shown.columns)
    warm = shown[shown["variant"] == "warm"].set_index("model")
    assert warm.loc["smol", "Δ error, pp"] == "+9.0 [+2.5, +15.5]"
    assert warm.loc["qwen", "error rate (no context, no belief)"] == "30.0%"
    assert "items scored" in shown  # each rate says how many items it rests on


def test_the_forest_plot_draws_only_effects_with_estimates():
    from warmreg.analysis.compare import EFFECTS
    from warmreg.analysis.figures import effects_forest_png

    assert effects_forest_png(HEADLINE_RUNS, EFFECTS).startswith(b"\x89PNG")
    assert effects_forest_png(HEADLINE_RUNS.drop(columns="pooled/delta_pp"), EFFECTS) is None


def test_family_and_size_are_optional_and_columns_checked():
    table = compare_table(RUNS.drop(columns=["family", "size"])).table
    assert (table["family"] == "").all()
    with pytest.raises(AnalysisError, match="missing column 'accuracy'"):
        compare_table(RUNS, metrics=["accuracy"])


def test_parameter_count():
    assert parameter_count("135M") == 135e6 and parameter_count("1.7B") == 1.7e9
    assert parameter_count("unknown") != parameter_count("unknown")  # NaN
