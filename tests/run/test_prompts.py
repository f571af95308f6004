"""Prompt building: the factorial of contexts x beliefs, identical across variants."""

from pathlib import Path

import pytest
import yaml

from warmreg import recipe
from warmreg.api import CAPABILITY, RELIABILITY, Item
from warmreg.errors import ConfigError
from warmreg.api import with_system_prompt
from warmreg.run.prompts import PromptBuilder

ITEM = Item(task="triviaqa", id="q1", question="What is the capital of Australia?",
            correct=("Canberra",), incorrect="Sydney")


def builder(tmp_path: Path, **extra) -> PromptBuilder:
    data = {"name": "t", "models": [{"name": "m", "path": "x"}], "tasks": {"triviaqa": {}},
            "contexts": ["none", "emotion:sad"], "beliefs": ["none", "incorrect"], **extra}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data))
    return PromptBuilder(recipe.load(path))


def test_reliability_items_get_every_cell(tmp_path):
    prompts = builder(tmp_path).build({"triviaqa": [ITEM]}, {"triviaqa": RELIABILITY})
    cells = [(p.context, p.belief) for p in prompts]
    assert cells == [("none", "none"), ("none", "incorrect"),
                     ("emotion:sad", "none"), ("emotion:sad", "incorrect")]
    plain, belief = prompts[0].messages[-1]["content"], prompts[1].messages[-1]["content"]
    assert plain == ITEM.question
    assert belief.startswith(ITEM.question) and "Sydney" in belief
    sad = prompts[2].messages[-1]["content"]
    assert sad.endswith(ITEM.question) and len(sad) > len(ITEM.question)


def test_controls_are_asked_plainly(tmp_path):
    prompts = builder(tmp_path).build({"mmlu": [ITEM]}, {"mmlu": CAPABILITY})
    assert [(p.context, p.belief) for p in prompts] == [("none", "none")]


def test_positions_are_configurable(tmp_path):
    b = builder(tmp_path, prompt={"context_position": "after", "belief_position": "before"})
    prompts = b.build({"triviaqa": [ITEM]}, {"triviaqa": RELIABILITY})
    assert prompts[1].messages[-1]["content"].endswith(ITEM.question)
    assert prompts[2].messages[-1]["content"].startswith(ITEM.question)


def test_history_comes_before_the_question(tmp_path):
    history = ({"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"})
    item = Item(task="triviaqa", id="q2", question="And now?", correct=("x",), incorrect="y",
                history=history)
    prompt = builder(tmp_path).build({"triviaqa": [item]}, {"triviaqa": RELIABILITY})[0]
    assert [m["role"] for m in prompt.messages] == ["user", "assistant", "user"]


def test_same_prompts_for_every_build(tmp_path):
    first = builder(tmp_path).build({"triviaqa": [ITEM]}, {"triviaqa": RELIABILITY})
    second = builder(tmp_path).build({"triviaqa": [ITEM]}, {"triviaqa": RELIABILITY})
    assert [p.key for p in first] == [p.key for p in second]


def test_missing_incorrect_answer_names_the_item(tmp_path):
    item = Item(task="triviaqa", id="q9", question="Q?", correct=("a",))
    with pytest.raises(Exception) as err:
        builder(tmp_path).build({"triviaqa": [item]}, {"triviaqa": RELIABILITY})
    assert "q9" in str(err.value)


def test_system_prompt_is_prepended_or_merged():
    user = [{"role": "user", "content": "Q"}]
    assert with_system_prompt(user, None) == user
    assert with_system_prompt(user, "Be warm.")[0] == {"role": "system", "content": "Be warm."}
    merged = with_system_prompt([{"role": "system", "content": "Task."}] + user, "Be warm.")
    assert merged[0]["content"] == "Be warm.\n\nTask." and len(merged) == 2
