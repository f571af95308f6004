"""Both example recipes validate and run end to end on the tiny random model."""

from pathlib import Path

import pytest

from warmreg import recipe
from warmreg.run import runner

HERE = Path(__file__).parents[1]


@pytest.mark.parametrize("name, task, group", [
    ("example-answer.yaml", "triviaqa", "answer-opinion"),
    ("example-feedback.yaml", "feedback", "feedback-opinion"),
])
def test_example_runs_every_opinion_cell(tmp_path, name, task, group):
    loaded = recipe.load(HERE / name, (f"workdir={tmp_path}", "warmth.enabled=false",
                                       f"tasks.{task}.limit=2"))
    opinions = [c for c in loaded.contexts if c.startswith(f"{group}:")]
    assert opinions and "none" in loaded.contexts
    frame = runner.run(loaded).results
    assert len(frame) == 2 * len(loaded.contexts)
    assert set(frame["context"]) == set(loaded.contexts)
    assert set(frame["verdict"]) <= {"CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE"}
    # each opinion cell asks the plain question plus that opinion's statement
    plain = frame[frame["context"] == "none"].set_index("item_id")["question"]
    for row in frame[frame["context"] != "none"].itertuples():
        assert row.question != plain[row.item_id] and plain[row.item_id] in row.question
