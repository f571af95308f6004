"""TaskSuite on built-in tasks, and its checks catching broken tasks."""

from dataclasses import dataclass, replace

import pytest

from warmreg import api
from warmreg.testing import (TaskSuite, check_default_judge, check_documented, check_history,
                             check_items, check_limit, check_stable, check_task_class,
                             check_turn_plan, undocumented_fields)


class TestTriviaQA(TaskSuite):
    plugin_name = "triviaqa"


class TestTruthfulQA(TaskSuite):
    plugin_name = "truthfulqa"
    config = {"limit": 5}
    seed = 7


def _item(**kw):
    fields = dict(task="t", id="1", question="Q?", correct=("A",), incorrect="B")
    return api.Item(**{**fields, **kw})


GOOD = [_item(id="1"), _item(id="2", history=(
    {"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}))]


def test_well_formed_items_pass():
    check_items(GOOD, "t")


@pytest.mark.parametrize("items, message", [
    ([], "no items"),
    ([_item(id="1"), _item(id="1")], "duplicate id '1'"),
    ([_item(id="")], "id must be a non-empty str"),
    ([_item(question="  ")], "question must be a non-empty str"),
    ([_item(correct=())], "correct must be a non-empty tuple"),
    ([_item(correct=("A", ""))], "every correct answer"),
    ([_item(incorrect=None)], "incorrect must be a str"),
    ([_item(choices=("x", 2))], "choices must be a tuple of str"),
    ([_item(task="other")], "entry-point name"),
    ([_item(meta={"when": object()})], "JSON-serialisable"),
    ([_item(history=({"role": "bot", "content": "hi"},))], "role 'bot'"),
])
def test_malformed_items_are_caught(items, message):
    with pytest.raises(AssertionError, match=message):
        check_items(items, "t")


@pytest.mark.parametrize("history", [
    ({"role": "user", "content": "Q?"},),  # two user turns in a row with the question
    ({"role": "assistant", "content": "A."},),
    ({"role": "user", "content": "Q?"}, {"role": "assistant", "content": ""}),
    ({"role": "user", "content": "Q?"}, {"role": "system", "content": "late"},
     {"role": "assistant", "content": "A."}),
    ([{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}],),
])
def test_malformed_history_is_caught(history):
    with pytest.raises(AssertionError):
        check_history(history if isinstance(history, tuple) and isinstance(history[0], dict)
                      else history[0], "item")


def test_system_message_may_open_the_history():
    check_history(({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q?"},
                   {"role": "assistant", "content": "A."}), "item")


@dataclass
class _MutableConfig:
    limit: int | None = None
    judge: str = "answer-match"
    max_new_tokens: int | None = None


class _BrokenTask:
    """Draws items at random and ignores limit."""

    Config = _MutableConfig
    category = "accuracy"

    def items(self, seed):
        import random

        return [_item(id=str(random.random()))]


def test_broken_task_class_is_caught():
    with pytest.raises(AssertionError, match="frozen"):
        check_task_class(_BrokenTask)
    frozen = dataclass(frozen=True)(type("Config", (), {"__annotations__": {"limit": int}}))
    with pytest.raises(AssertionError, match=r"lacks the field\(s\) \['judge', 'max_new_tokens'\]"):
        check_task_class(type("T", (), {"Config": frozen, "category": "reliability",
                                        "items": lambda self, seed: []}))


def test_category_is_checked():
    good = replace_config(_BrokenTask)
    with pytest.raises(AssertionError, match="category"):
        check_task_class(good)


def replace_config(cls):
    fields = {"limit": int, "judge": str, "max_new_tokens": int}
    config = dataclass(frozen=True)(type("Config", (), {"__annotations__": fields}))
    return type(cls.__name__, (cls,), {"Config": config})


def test_nondeterministic_items_are_caught():
    with pytest.raises(AssertionError, match="not deterministic"):
        check_stable(lambda: _BrokenTask().items(0), "broken")


def test_ignored_limit_is_caught():
    with pytest.raises(AssertionError, match="limit=2 yielded 5"):
        check_limit([_item(id=str(i)) for i in range(5)], 2, 10, "broken")
    check_limit([_item()], 2, 1, "small")  # fewer items in all is fine


def test_unregistered_judge_is_caught():
    with pytest.raises(AssertionError, match="not a registered judge"):
        check_default_judge("answer-macth")


@dataclass(frozen=True)
class _Documented:
    """Settings.

    Attributes:
        source: where rows come from.
    """

    # items to keep
    limit: int | None = None
    judge: str = "answer-match"  # the default judge
    source: str = "bundled"
    max_new_tokens: int | None = None
    seed_offset: int = 0


def test_undocumented_config_fields_are_found():
    assert undocumented_fields(_Documented) == ["max_new_tokens", "seed_offset"]
    assert undocumented_fields(_Documented, "Set `max_new_tokens` and `seed_offset`.") == []
    task = type("T", (), {"__doc__": "A task.", "Config": _Documented})
    with pytest.raises(AssertionError, match=r"\['max_new_tokens', 'seed_offset'\]"):
        check_documented(task)
    with pytest.raises(AssertionError, match="docstring"):
        check_documented(type("T", (), {"__doc__": None, "Config": _Documented}))


class _Plan:
    """A dependent task whose follow-up can be broken one way at a time."""

    Config = category = refusal_is_correct = None

    def __init__(self, turns=3, follow_up=None):
        self.turns = turns
        self._follow_up = follow_up or (lambda item, conv: f"Sure? You said {conv[-1]['content'][:9]!r}")

    def items(self, seed):
        return GOOD

    def follow_up(self, item, conversation):
        return self._follow_up(item, conversation)


def test_a_sound_turn_plan_passes():
    check_turn_plan(_Plan(), GOOD, "t")
    check_turn_plan(_Plan(turns=1), GOOD, "t")


_calls = iter(range(10 ** 6))


@pytest.mark.parametrize("plan, message", [
    (_Plan(turns=0), "turns must be an int >= 1"),
    (_Plan(turns=2.0), "turns must be an int >= 1"),
    (_Plan(follow_up=lambda item, conv: conv[-1]["content"]), "non-empty text"),  # empty reply
    (_Plan(follow_up=lambda item, conv: None), "non-empty text"),
    (_Plan(follow_up=lambda item, conv: f"again {next(_calls)}"), "not deterministic"),
    (_Plan(follow_up=lambda item, conv: conv.append({}) or "x"), "changed the conversation"),
])
def test_broken_turn_plans_are_caught(plan, message):
    with pytest.raises(AssertionError, match=message):
        check_turn_plan(plan, GOOD, "t")


def test_half_declared_plan_is_caught():
    class FollowUpOnly:
        def follow_up(self, item, conversation):
            return "?"

    with pytest.raises(AssertionError, match="follow_up without turns"):
        check_turn_plan(FollowUpOnly(), GOOD, "t")
