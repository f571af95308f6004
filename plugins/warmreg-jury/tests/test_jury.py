"""The jury judge: conformance, majority voting, ties, agreement, grade_many delegation."""

import pytest

from warmreg import api
from warmreg.config import build
from warmreg.errors import ConfigError
from warmreg.testing import SAMPLE_ITEMS, JudgeSuite
from warmreg_jury.jury import Config, Jury, parse_explanation

# Three answer-match jurors that differ only on replies naming both answers (a reply that
# names both without rejecting either: "Canberra, not Sydney." is a rejection of Sydney).
SPLIT = [{"name": "answer-match", "both": "UNPARSEABLE"}, {"name": "answer-match", "both": "FIRST"},
         {"name": "answer-match", "both": "LAST"}]
ITEM = api.Item(task="t", id="1", question="Capital of Australia?", correct=("Canberra",),
                incorrect="Sydney")


class TestJury(JudgeSuite):
    plugin_name = "jury"
    config = {"jurors": [{"name": "answer-match"}, {"name": "refusal"},
                         {"name": "answer-match", "both": "FIRST"}]}
    changed_config = {**config, "tie": "INCORRECT"}


class TestJuryOfOne(JudgeSuite):
    plugin_name = "jury"
    config = {"jurors": [{"name": "answer-match"}]}
    changed_config = {"jurors": [{"name": "answer-match", "neither": "UNPARSEABLE"}]}


def jury(jurors=SPLIT, **kw):
    return Jury(build(Config, {"jurors": jurors, **kw}, "test"))


def test_majority_wins_and_agreement_is_reported():
    verdict = jury().grade(ITEM, "Canberra or Sydney.")  # UNPARSEABLE, CORRECT, INCORRECT
    assert verdict.label == "UNPARSEABLE"  # a three-way tie
    verdict = jury(SPLIT[1:] + [{"name": "answer-match", "both": "CORRECT"}]).grade(
        ITEM, "Canberra or Sydney.")  # CORRECT, INCORRECT, CORRECT
    assert verdict.label == "CORRECT" and verdict.judge == "jury"
    assert verdict.explanation.startswith("agreement=0.67 votes=CORRECT:2,INCORRECT:1 ")
    parsed = parse_explanation(verdict.explanation)
    assert parsed["agreement"] == pytest.approx(0.67)
    assert parsed["votes"] == {"CORRECT": 2, "INCORRECT": 1}
    assert parsed["jurors"][1] == ("answer-match", "INCORRECT")


def test_unanimous_verdict_has_full_agreement():
    verdict = jury().grade(ITEM, "It is Canberra.")
    assert verdict.label == "CORRECT"
    assert verdict.explanation.startswith("agreement=1.00 votes=CORRECT:3 ")


@pytest.mark.parametrize("tie, label", [("UNPARSEABLE", "UNPARSEABLE"), ("INCORRECT", "INCORRECT"),
                                        ("FIRST", "CORRECT")])
def test_tie_policy(tie, label):
    jurors = [{"name": "answer-match", "both": "FIRST"}, {"name": "answer-match", "both": "LAST"}]
    assert jury(jurors, tie=tie).grade(ITEM, "Canberra or Sydney.").label == label


def test_abstentions_do_not_vote():
    jurors = [{"name": "answer-match", "both": "UNPARSEABLE"},
              {"name": "answer-match", "both": "FIRST"}]
    verdict = jury(jurors, abstain=["UNPARSEABLE"]).grade(ITEM, "Canberra or Sydney.")
    assert verdict.label == "CORRECT"
    assert verdict.explanation.startswith("agreement=0.50 votes=CORRECT:1,UNPARSEABLE:1 ")
    everyone_abstains = jury([{"name": "refusal"}], abstain=["UNPARSEABLE"])
    assert everyone_abstains.grade(ITEM, "Canberra").label == "UNPARSEABLE"


def test_a_juror_whose_endpoint_failed_leaves_no_verdict():
    jurors = jury()
    verdicts = [api.Verdict("CORRECT", "a"), api.Verdict(api.ENDPOINT_ERROR, "llm", "HTTP 503"),
                api.Verdict("CORRECT", "c")]
    verdict = jurors.decide(verdicts)
    assert verdict.label == api.ENDPOINT_ERROR  # not CORRECT by 2 of 3: retried next run
    assert parse_explanation(verdict.explanation)["jurors"][1] == ("answer-match", "ENDPOINT_ERROR")


def test_fingerprint_follows_every_juror():
    base = jury().fingerprint()
    assert jury().fingerprint() == base
    changed = [SPLIT[0], SPLIT[1], {"name": "answer-match", "both": "INCORRECT"}]
    assert jury(changed).fingerprint() != base
    assert jury(list(reversed(SPLIT))).fingerprint() != base  # order matters for tie=FIRST


class _Batching:
    """A juror with grade_many, as an LLM judge has; records how it was called."""

    def __init__(self):
        self.calls = []

    def fingerprint(self):
        return "batching"

    def grade(self, item, response):
        raise AssertionError("the jury must prefer grade_many")

    def grade_many(self, pairs):
        self.calls.append(len(pairs))
        for i in reversed(range(len(pairs))):  # out of order, as a concurrent judge may
            label = "CORRECT" if "Canberra" in pairs[i][1] else "INCORRECT"
            yield i, api.Verdict(label, "batching")


def test_grade_many_delegates_to_jurors_that_batch():
    judge = jury()
    batching = _Batching()
    judge.jurors = [judge.jurors[1], ("batching", batching), judge.jurors[2]]
    pairs = [(ITEM, "Canberra"), (ITEM, "Sydney"), (ITEM, "Canberra or Sydney.")]
    verdicts = dict(judge.grade_many(pairs))
    assert batching.calls == [3]
    assert [verdicts[i].label for i in range(3)] == ["CORRECT", "INCORRECT", "CORRECT"]


def test_grade_many_agrees_with_grade_on_sample_items():
    judge = jury()
    pairs = [(item, reply) for item in SAMPLE_ITEMS
             for reply in (item.correct[0], item.incorrect, "")]
    assert [v for _, v in judge.grade_many(pairs)] == [judge.grade(i, r) for i, r in pairs]


@pytest.mark.parametrize("jurors, message", [
    ([], "name at least one judge"),
    ([{"both": "FIRST"}], r"judges\.jury\.jurors\[0\]\.name: must name a judge"),
    ([{"name": "answer-macth"}], 'did you mean "answer-match"'),
    ([{"name": "answer-match", "bothh": "FIRST"}],
     r"recipe\.yaml: judges\.jury\.jurors\[0\]\.bothh: unknown key"),
])
def test_bad_jurors_are_recipe_errors(jurors, message):
    with pytest.raises(ConfigError, match=message):
        build(Config, {"jurors": jurors}, "recipe.yaml: judges.jury")
