"""Judge agreement: kappa and confusion matrix against human labels or another judge."""

import pandas as pd
import pytest

from warmreg.analysis import agreement
from warmreg.cli import main


def frame(labels, column="verdict"):
    return pd.DataFrame({"task": "triviaqa", "item_id": [f"q{i}" for i in range(len(labels))],
                         "context": "none", "belief": "none", column: labels})


def test_perfect_agreement_is_kappa_one():
    a = frame(["CORRECT", "INCORRECT", "CORRECT", "REFUSED"])
    result = agreement.compare(a, a.copy())
    assert result.kappa == pytest.approx(1.0) and result.agreement == 1.0 and result.n == 4


def test_kappa_matches_hand_computation():
    # 10 rows: both CORRECT 4, both INCORRECT 3, a=C b=I 2, a=I b=C 1
    a = ["CORRECT"] * 4 + ["INCORRECT"] * 3 + ["CORRECT"] * 2 + ["INCORRECT"]
    b = ["CORRECT"] * 4 + ["INCORRECT"] * 3 + ["INCORRECT"] * 2 + ["CORRECT"]
    result = agreement.compare(frame(a), frame(b, "label"), "verdict", "label")
    po = 0.7
    pe = (6 / 10) * (5 / 10) + (4 / 10) * (5 / 10)
    assert result.kappa == pytest.approx((po - pe) / (1 - pe))
    assert result.confusion.loc["CORRECT", "INCORRECT"] == 2
    assert result.confusion.loc["INCORRECT", "CORRECT"] == 1


def test_endpoint_errors_are_left_out_and_counted():
    # the hand-computed case above, with two rows one judge could not grade
    a = ["CORRECT"] * 4 + ["INCORRECT"] * 3 + ["CORRECT"] * 2 + ["INCORRECT"]
    b = ["CORRECT"] * 4 + ["INCORRECT"] * 3 + ["INCORRECT"] * 2 + ["CORRECT"]
    a, b = a + ["ENDPOINT_ERROR", "CORRECT"], b + ["CORRECT", "ENDPOINT_ERROR"]
    result = agreement.compare(frame(a), frame(b, "label"), "verdict", "label")
    assert (result.n, result.n_endpoint_error) == (10, 2)
    assert "ENDPOINT_ERROR" not in result.confusion.index
    assert result.kappa == pytest.approx((0.7 - 0.5) / (1 - 0.5))
    assert "2 more left out: endpoint errors" in result.to_markdown()
    with pytest.raises(agreement.AgreementError, match="endpoint error"):
        agreement.compare(frame(["ENDPOINT_ERROR"]), frame(["CORRECT"]))


def test_bad_label_names_file_and_row(tmp_path):
    path = tmp_path / "labels.csv"
    frame(["CORRECT", "maybe"], "label").to_csv(path, index=False)
    with pytest.raises(agreement.AgreementError, match=r"labels.csv: row 3: label 'MAYBE'"):
        agreement.read_labels(path, "label")


def test_no_shared_rows_is_an_error():
    a = frame(["CORRECT"])
    b = frame(["CORRECT"]).assign(item_id="other")
    with pytest.raises(agreement.AgreementError, match="share no rows"):
        agreement.compare(a, b)


def test_cli_logs_to_mlflow(tmp_path, capsys):
    from mlflow.tracking import MlflowClient

    results, labels = tmp_path / "results.parquet", tmp_path / "labels.csv"
    frame(["CORRECT", "INCORRECT", "CORRECT"]).to_parquet(results)
    frame(["CORRECT", "INCORRECT", "INCORRECT"], "label").to_csv(labels, index=False)
    assert main(["judge-agreement", str(results), "--human", str(labels),
                 "--experiment", "agreement-test"]) == 0
    out = capsys.readouterr().out
    run_id = out.strip().split()[-1]
    run = MlflowClient().get_run(run_id)
    assert run.data.metrics["n"] == 3
    assert run.data.metrics["agreement"] == pytest.approx(2 / 3)
    assert "Cohen's kappa" in out


def test_kappa_interval_matches_statsmodels_large_sample_se():
    from statsmodels.stats.inter_rater import cohens_kappa

    a = ["CORRECT"] * 40 + ["INCORRECT"] * 25 + ["CORRECT"] * 8 + ["INCORRECT"] * 5 + ["REFUSED"] * 6
    b = ["CORRECT"] * 40 + ["INCORRECT"] * 25 + ["INCORRECT"] * 8 + ["CORRECT"] * 4 \
        + ["REFUSED"] + ["REFUSED"] * 4 + ["CORRECT"] * 2
    result = agreement.compare(frame(a), frame(b, "label"), "verdict", "label")
    oracle = cohens_kappa(result.confusion.to_numpy())
    assert result.kappa == pytest.approx(oracle.kappa)
    assert result.kappa_se == pytest.approx(oracle.std_kappa, rel=1e-9)
    low, high = result.kappa_ci
    assert low == pytest.approx(oracle.kappa - 1.959964 * oracle.std_kappa, abs=1e-4)
    assert low < result.kappa < high <= 1.0
    assert "95% CI" in result.to_markdown()


def test_agreement_by_group_and_overall(tmp_path, capsys):
    a = frame(["CORRECT", "INCORRECT", "CORRECT", "CORRECT", "INCORRECT", "UNPARSEABLE"])
    a["judge"] = ["answer-match"] * 4 + ["choice"] * 2
    a["belief"] = ["none", "incorrect"] * 3
    b = frame(["CORRECT", "INCORRECT", "INCORRECT", "CORRECT", "INCORRECT", "CORRECT"], "label")
    b["belief"] = a["belief"]  # a key: the labels are on the same rows
    table = agreement.compare_by(a, b, ["judge", "belief"], "verdict", "label")
    got = {(r.judge, r.belief): (r.n, r.agreement) for r in table.itertuples()}
    assert got[("answer-match", "none")] == (2, 0.5)  # q0 agrees, q2 does not
    assert got[("answer-match", "incorrect")] == (2, 1.0)
    assert got[("choice", "none")] == (1, 1.0) and got[("choice", "incorrect")] == (1, 0.0)
    assert len(got) == 5
    assert got[("all", "all")] == (6, pytest.approx(4 / 6))
    with pytest.raises(agreement.AgreementError, match="no column 'grader'"):
        agreement.compare_by(a, b, ["grader"], "verdict", "label")
    results, labels = tmp_path / "results.parquet", tmp_path / "labels.csv"
    a.to_parquet(results)
    b.to_csv(labels, index=False)
    assert main(["judge-agreement", str(results), "--human", str(labels), "--by", "judge,belief",
                 "--experiment", ""]) == 0
    assert "| answer-match | none | 2 | 0.500 |" in capsys.readouterr().out
