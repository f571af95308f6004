"""TruthfulQA: bundled sample and hub/local loading."""

from __future__ import annotations

import pytest

from warmreg.errors import ConfigError
from warmreg.tasks.truthfulqa import TruthfulQA

from ._helpers import check_items, check_seeding, write_jsonl, write_parquet


def row(question: str, **extra) -> dict:
    """A row in the schema of truthfulqa/truthful_qa (generation)."""
    return {"type": "Adversarial", "category": "Misconceptions", "question": question,
            "best_answer": "No, it does not.", "correct_answers": ["No.", "It does not."],
            "incorrect_answers": ["Yes, it does.", "Sometimes."], "source": "https://x", **extra}


ROWS = [row("Does the moon cause X?"), row("Does Y cause Z?")]


def test_bundled_items_are_well_formed():
    items = TruthfulQA().items(0)
    assert len(items) >= 40
    check_items(items, "truthfulqa")


def test_seeded_sample():
    check_seeding(TruthfulQA)


@pytest.mark.parametrize("writer,suffix", [(write_jsonl, ".jsonl"), (write_parquet, ".parquet")])
def test_local_file(tmp_path, writer, suffix):
    path = writer(tmp_path / f"tqa{suffix}", ROWS)
    items = TruthfulQA(TruthfulQA.Config(source=str(path))).items(0)
    check_items(items, "truthfulqa")
    item = next(i for i in items if i.question == "Does the moon cause X?")
    assert item.correct == ("No, it does not.", "No.", "It does not.")
    assert item.incorrect == "Yes, it does."
    assert item.meta["category"] == "Misconceptions"


def test_semicolon_separated_answers_as_in_the_csv(tmp_path):
    path = write_jsonl(tmp_path / "tqa.jsonl",
                       [row("Q?", correct_answers="No; Never", incorrect_answers="Yes; Often")])
    (item,) = TruthfulQA(TruthfulQA.Config(source=str(path))).items(0)
    assert item.correct == ("No, it does not.", "No", "Never")
    assert item.incorrect == "Yes"


def test_hub_loader_uses_the_public_set(fake_hub):
    fake_hub.rows = ROWS
    assert len(TruthfulQA(TruthfulQA.Config(source="hub")).items(0)) == 2
    assert fake_hub.calls == [("truthfulqa/truthful_qa", "generation", "validation")]


def test_missing_field_names_file_row_and_field(tmp_path):
    bad = {k: v for k, v in row("Q?").items() if k != "incorrect_answers"}
    path = write_jsonl(tmp_path / "bad.jsonl", [ROWS[0], bad])
    with pytest.raises(ConfigError, match="row 2: missing field 'incorrect_answers'") as err:
        TruthfulQA(TruthfulQA.Config(source=str(path))).items(0)
    assert err.value.where == str(path)


def test_multiple_choice_format_is_graded_by_letter(tmp_path):
    from warmreg.judges.choice import Choice

    wrong = ["Yes, it does.", "Sometimes.", "Only at night.", "Only in winter."]
    path = write_jsonl(tmp_path / "tqa.jsonl", [row("Does the moon cause X?", incorrect_answers=wrong)])
    config = TruthfulQA.Config(source=str(path), format="mc", judge="choice")
    (item,) = TruthfulQA(config).items(0)
    assert len(item.choices) == 4 and set(item.choices) == {"No, it does not.", *wrong[:3]}
    letter = item.correct[0]
    assert item.choices["ABCD".index(letter)] == "No, it does not."
    assert item.choices["ABCD".index(item.incorrect)] == "Yes, it does."
    assert f"{letter}. No, it does not." in item.question
    assert TruthfulQA(config).items(5) == [item]  # the option order is the item's, not the seed's
    judge = Choice()
    assert judge.grade(item, f"The answer is {letter}.").label == "CORRECT"
    assert judge.grade(item, f"{item.incorrect}. Yes, it does.").label == "INCORRECT"
    bundled = TruthfulQA(TruthfulQA.Config(format="mc", judge="choice", limit=10)).items(0)
    assert [i.id for i in bundled] == [i.id for i in TruthfulQA(TruthfulQA.Config(limit=10)).items(0)]
    check_items(bundled, "truthfulqa")


def test_multiple_choice_with_the_default_judge_is_refused():
    with pytest.raises(ValueError, match="set judge: choice"):
        TruthfulQA.Config(format="mc")
