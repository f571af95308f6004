"""The refusal policy."""

from __future__ import annotations

import numpy as np

from warmreg.analysis.policy import apply_refusal_policy, exclusion_counts, kept
from warmreg.analysis.results import validate_results

from ._helpers import results

VERDICTS = ["CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE"]


def _scored(**kwargs):
    table = results(verdict=VERDICTS * 3, task=["triviaqa"] * 4 + ["mask-disinfo"] * 4
                    + ["medqa"] * 4, refusal_is_correct=[False] * 8 + [True] * 4)
    return apply_refusal_policy(validate_results(table), **kwargs)


def test_refusals_excluded_except_where_refusing_is_correct():
    scored = _scored()
    expected = [0, 1, np.nan, np.nan,   # triviaqa: refusal and unparseable excluded
                0, 1, 0, np.nan,        # mask-disinfo: refusing is correct
                0, 1, 0, np.nan]        # flagged rows: refusing is correct
    np.testing.assert_array_equal(scored["incorrect"].to_numpy(), expected)
    assert list(scored["exclusion"]) == ["kept", "kept", "refused", "unparseable",
                                         "kept", "kept", "kept", "unparseable",
                                         "kept", "kept", "kept", "unparseable"]
    assert len(kept(scored)) == 8


def test_task_list_adds_to_what_tasks_declare():
    scored = _scored(refusal_correct_tasks=("triviaqa",))
    assert scored["incorrect"].iloc[2] == 0  # a triviaqa refusal now counts as correct
    assert scored["incorrect"].iloc[6] == 0  # mask-disinfo declares it whatever the list
    assert scored["incorrect"].iloc[10] == 0  # the row flag still applies


def test_refusal_correct_comes_from_the_task_plugin_not_a_name_list():
    # the rows say False; the installed mask-disinfo task declares refusing correct
    assert _scored()["refusal_correct"].iloc[4:8].all()
    # a task no plugin registers keeps the row's flag (False)
    table = results(verdict=VERDICTS, task=["someone-elses-task"] * 4)
    assert not validate_results(table)["refusal_is_correct"].any()


def test_exclusions_counted_per_cell():
    counts = exclusion_counts(_scored()).set_index("task")
    columns = ["n_rows", "n_scored", "n_excluded_refused", "n_unparseable", "n_refusal_correct"]
    assert counts.loc["triviaqa", columns].tolist() == [4, 2, 1, 1, 0]
    assert counts.loc["mask-disinfo", "n_refusal_correct"] == 1
    assert counts.loc["medqa", "n_scored"] == 3


def test_response_replaced_by_its_length():
    table = results(verdict=["CORRECT", "INCORRECT"], response=["abc", ""])
    scored = apply_refusal_policy(validate_results(table))
    assert "response" not in scored and scored["response_length"].tolist() == [3, 0]
