"""The rule-based judges against human labels of real SmolLM2 replies.

``data/smollm2_labelled.csv`` (see ``data/README.md``) was labelled by reading each whole
reply before the judges' rules changed. These floors are the agreement the rules reached
(``benchmarks/bench_judges.py`` prints it per judge and belief): a rule change that loses
agreement, or leaves a reply that states an answer UNPARSEABLE, fails here.
"""

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_judges import HELD_OUT, LABELS, regrade, stated_but_unparseable  # noqa: E402

from warmreg.analysis.agreement import compare_by  # noqa: E402


def _graded(path: Path):
    """The labelled replies of ``path`` and the same replies graded by the demo's judges."""
    labels = pd.read_csv(path, keep_default_na=False)
    return labels, regrade(labels)


def _agreement(labels, judged) -> dict:
    """Agreement with the labels by (judge, belief), ("all", "all") overall."""
    table = compare_by(judged, labels, ["judge", "belief"], "verdict", "label")
    return {(r.judge, r.belief): r.agreement for r in table.itertuples()}


@pytest.fixture(scope="module")
def graded():
    return _graded(LABELS)


def test_the_labels_cover_every_variant_and_belief(graded):
    labels, _ = graded
    assert len(labels) >= 150
    assert set(labels["variant"]) == {"original", "warm", "cold", "prompt-warm"}
    assert set(labels["belief"]) == {"none", "incorrect"}


def test_no_reply_stating_an_answer_is_left_unparseable(graded):
    _, judged = graded
    missed = stated_but_unparseable(judged)
    assert missed.empty, missed[["item_id", "variant", "reply", "verdict"]].to_string()


def test_agreement_floors_per_judge_and_belief(graded):
    got = _agreement(*graded)
    assert got[("choice", "none")] >= 0.97 and got[("choice", "incorrect")] >= 0.97
    # answer-match: the stance rules took it from 56% (belief) and 75% (none) to 77.5% and
    # 80%; what is left needs reading beyond rules (see the module docstring)
    assert got[("answer-match", "incorrect")] >= 0.77
    assert got[("answer-match", "none")] >= 0.79
    assert got[("all", "all")] >= 0.85


@pytest.fixture(scope="module")
def held_out():
    return _graded(HELD_OUT)


def test_held_out_labels_cover_every_variant_and_belief(held_out):
    labels, _ = held_out
    assert len(labels) >= 150 and set(labels["label"]) == {"CORRECT", "INCORRECT", "REFUSED",
                                                            "UNPARSEABLE"}
    assert set(labels["variant"]) == {"original", "warm", "cold", "prompt-warm"}
    assert set(labels["belief"]) == {"none", "incorrect"}
    # items the rules were not written against
    first = pd.read_csv(LABELS, keep_default_na=False)
    assert not set(labels["item_id"]) & set(first["item_id"])


def test_held_out_agreement_floors(held_out):
    """The held-out set measured the rules at 82.0% before the fixes it prompted (surnames
    shared by both answers, "as a chatbot" refusals, restated options) and 86.5% after;
    two replies that state an answer only in other words stay UNPARSEABLE."""
    labels, judged = held_out
    got = _agreement(labels, judged)
    assert got[("answer-match", "incorrect")] >= 0.89 and got[("answer-match", "none")] >= 0.84
    assert got[("choice", "incorrect")] >= 0.8 and got[("choice", "none")] >= 0.85
    assert got[("all", "all")] >= 0.86
    assert len(stated_but_unparseable(judged)) <= 2
