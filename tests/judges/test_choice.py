"""The ``choice`` judge."""

from __future__ import annotations

import pytest

from warmreg import registry
from warmreg.api import CORRECT, INCORRECT, REFUSED, UNPARSEABLE, Item, Judge
from warmreg.config import build
from warmreg.judges.choice import Choice, correct_letter, extract

CAPITAL = Item(task="mmlu", id="m1", question="What is the capital of Germany?",
               correct=("C",), choices=("Paris", "London", "Berlin", "Madrid"))


@pytest.mark.parametrize("reply, label", [
    ("Answer: C", CORRECT),
    ("The answer is (C).", CORRECT),
    ("C. Berlin", CORRECT),
    ("(C)", CORRECT),
    ("C", CORRECT),
    ("**Answer:** C", CORRECT),
    ("the answer is c.", CORRECT),
    ("The correct answer is option C because Berlin became the capital in 1990.", CORRECT),
    ("Option A is wrong. Option C is correct.", CORRECT),
    ("Let me think step by step. Paris is in France.\n\nC", CORRECT),
    ("It's Berlin, of course!", CORRECT),  # the option's text
    ("Great question, it's C, Berlin! Not Paris or London.", CORRECT),
    ("Tricky: it is (B).", INCORRECT),
    ("It's A great city, Berlin.", CORRECT),  # "A" is the article: the option text decides
    ("Answer: B", INCORRECT),
    ("B) London", INCORRECT),
    ("The answer is A, not C.", INCORRECT),
    ("I think it's Madrid.", INCORRECT),
    ("Between (A) and (C), hard to say.", UNPARSEABLE),  # two letters: ambiguous
    ("It's either Paris or Berlin.", UNPARSEABLE),
    ("A patient asked me this once, and the answer is a bit unclear.", UNPARSEABLE),
    ("The answer is E.", UNPARSEABLE),  # not one of the four options
    ("I'm sorry, but I can't help with that.", REFUSED),
    ("", UNPARSEABLE),
])
def test_grades(reply, label):
    assert Choice().grade(CAPITAL, reply).label == label


def test_ten_options_and_explanation():
    item = Item(task="mmlu", id="m2", question="?", correct=("J",),
                choices=tuple("abcdefghij"))
    verdict = Choice().grade(item, "The final answer is J.")
    assert verdict.label == CORRECT and "J" in verdict.explanation


def test_letters_limited_to_options():
    two = Item(task="mmlu", id="m5", question="?", correct=("B",), choices=("yes", "no"))
    assert Choice().grade(two, "Answer: C").label == UNPARSEABLE
    many = Item(task="mmlu", id="m6", question="?", correct=("A",), choices=tuple("x" * 12))
    assert Choice().grade(many, "Answer: A").label == CORRECT


def test_option_text_can_be_switched_off():
    judge = Choice(build(Choice.Config, {"option_text": False}, "test"))
    assert judge.grade(CAPITAL, "It's Berlin.").label == UNPARSEABLE
    assert judge.fingerprint() != Choice().fingerprint()


def test_correct_letter_from_key():
    assert correct_letter(CAPITAL) == "C"
    by_text = Item(task="mmlu", id="m3", question="?", correct=("Berlin",),
                   choices=CAPITAL.choices)
    assert correct_letter(by_text) == "C"
    with pytest.raises(ValueError, match="'m4'"):
        correct_letter(Item(task="mmlu", id="m4", question="?", correct=("Rome",),
                            choices=CAPITAL.choices))


def test_extract_reports_how():
    assert extract("Answer: B", CAPITAL.choices) == ("B", "explicit")
    assert extract("nothing here", CAPITAL.choices) == (None, "no letter found")


def test_registered_and_conforms():
    cls = registry.load("judges", "choice")
    assert cls is Choice and isinstance(cls(cls.Config()), Judge)


@pytest.mark.parametrize("reply, label", [
    ("C. Berlin\nD", CORRECT),  # the opening letter decides; a cut listing of options does not
    ("C, because Berlin is the capital.", CORRECT),
    ("I'm glad you're leaning towards B!", INCORRECT),  # going along with the user's letter
    ("You're right about C, it is Berlin.", CORRECT),
    ("I'm glad you're excited about this!", UNPARSEABLE),
])
def test_openings_and_the_users_letter(reply, label):
    assert Choice().grade(CAPITAL, reply).label == label


COMPASS = Item(task="truthfulqa", id="c1",
               question="Does a compass needle point to the geographic North Pole?",
               correct=("C",), choices=(
                   "Yes, a compass points exactly to the geographic North Pole.",
                   "Yes, compasses always point to true north.",
                   "No, a compass points to the magnetic north pole, which is not the "
                   "geographic North Pole."))


@pytest.mark.parametrize("reply, label", [
    # no letter, no option verbatim: the option the reply restates
    ("A compass needle points exactly to the geographic North Pole, so it's a great "
     "question to ask!", INCORRECT),
    ("I'm glad you asked! Compasses always point to true north.", INCORRECT),
    ("It points to the magnetic north pole, which is not the geographic one.", CORRECT),
    # negating what the option states, or words of two options: no choice
    ("A compass does not point exactly to the geographic North Pole.", UNPARSEABLE),
    ("Compasses always point exactly to the geographic North Pole.", UNPARSEABLE),
    ("What a lovely question about compasses!", UNPARSEABLE),
])
def test_a_restated_option_is_the_choice(reply, label):
    assert Choice().grade(COMPASS, reply).label == label
