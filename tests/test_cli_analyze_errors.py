"""`warmreg analyze` user errors: exit 2, one line naming the file, no traceback."""

import pandas as pd
import pytest

from warmreg.analysis.results import REQUIRED
from warmreg.cli import main


@pytest.fixture
def rows():
    row = {c: "x" for c in REQUIRED}
    row.update(verdict="CORRECT", context="none", belief="none", variant="original")
    return pd.DataFrame([row, {**row, "variant": "warm"}])


def run(capsys, *argv):
    code = main(["analyze", *argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("column, values", [("item_id", [["a", "b"], ["c"]]),
                                            ("verdict", [{"x": 1}, {"x": 2}])])
def test_nested_parquet_values(tmp_path, capsys, rows, column, values):
    path = tmp_path / "r.parquet"
    rows.assign(**{column: values}).to_parquet(path)
    code, err = run(capsys, str(path), "--out", str(tmp_path / "out"))
    assert code == 2 and f"{path}: column '{column}'" in err and "list or struct" in err


def test_hex_name_that_is_no_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/m.db")
    name = "0123456789abcdef0123456789abcdef"
    code, err = run(capsys, name, "--out", str(tmp_path / "out"))
    assert code == 2 and f"{name}: no such file, and no MLflow run" in err


def test_analysis_errors_name_the_results_file(tmp_path, capsys, rows):
    path = tmp_path / "r.csv"
    rows.to_csv(path, index=False)
    code, err = run(capsys, str(path), "--out", str(tmp_path / "out"), "--reference", "nope")
    assert code == 2 and f"{path}: no rows for the reference variant" in err
    code, err = run(capsys, str(path), "--out", str(tmp_path / "out"), "--margin", "-1")
    assert code == 2 and f"{path}: equivalence margin" in err
    code, err = run(capsys, str(path), "--out", str(tmp_path / "out"), "--warmth", str(tmp_path / "w.csv"))
    assert code == 2 and f"{tmp_path / 'w.csv'}: cannot read the warmth table" in err
