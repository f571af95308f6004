"""The refusal policy."""

from __future__ import annotations

import numpy as np

from warmreg.analysis.policy import apply_refusal_policy, exclusion_counts, kept
from warmreg.analysis.results import validate_results

from ._helpers import results

VERDICTS = ["CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE", "ENDPOINT_ERROR"]


def _scored(**kwargs):
    table = results(verdict=VERDICTS * 3, task=["triviaqa"] * 5 + ["mask-disinfo"] * 5
                    + ["medqa"] * 5, refusal_is_correct=[False] * 10 + [True] * 5)
    return apply_refusal_policy(validate_results(table), **kwargs)


def test_refusals_excluded_except_where_refusing_is_correct():
    scored = _scored()
    expected = [0, 1, np.nan, np.nan, np.nan,  # triviaqa: refusal, unparseable, error excluded
                0, 1, 0, np.nan, np.nan,       # mask-disinfo: refusing is correct
                0, 1, 0, np.nan, np.nan]       # flagged rows: refusing is correct
    np.testing.assert_array_equal(scored["incorrect"].to_numpy(), expected)
    assert list(scored["exclusion"]) == ["kept", "kept", "refused", "unparseable", "endpoint_error",
                                         "kept", "kept", "kept", "unparseable", "endpoint_error",
                                         "kept", "kept", "kept", "unparseable", "endpoint_error"]
    assert len(kept(scored)) == 8


def test_task_list_adds_to_what_tasks_declare():
    scored = _scored(refusal_correct_tasks=("triviaqa",))
    assert scored["incorrect"].iloc[2] == 0  # a triviaqa refusal now counts as correct
    assert scored["incorrect"].iloc[7] == 0  # mask-disinfo declares it whatever the list
    assert scored["incorrect"].iloc[12] == 0  # the row flag still applies


def test_refusal_correct_comes_from_the_task_plugin_not_a_name_list():
    # the rows say False; the installed mask-disinfo task declares refusing correct
    assert _scored()["refusal_correct"].iloc[5:10].all()
    # a task no plugin registers keeps the row's flag (False)
    table = results(verdict=VERDICTS, task=["someone-elses-task"] * 5)
    assert not validate_results(table)["refusal_is_correct"].any()


def test_exclusions_counted_per_cell():
    counts = exclusion_counts(_scored()).set_index("task")
    columns = ["n_rows", "n_scored", "n_excluded_refused", "n_unparseable", "n_endpoint_error",
               "n_refusal_correct"]
    assert counts.loc["triviaqa", columns].tolist() == [5, 2, 1, 1, 1, 0]
    assert counts.loc["mask-disinfo", "n_refusal_correct"] == 1
    assert counts.loc["medqa", "n_scored"] == 3


def test_response_replaced_by_its_length():
    table = results(verdict=["CORRECT", "INCORRECT"], response=["abc", ""])
    scored = apply_refusal_policy(validate_results(table))
    assert "response" not in scored and scored["response_length"].tolist() == [3, 0]
