"""Conformance of task plugins: :class:`TaskSuite` and the checks it runs.

A task plugin's tests subclass the suite and name the plugin (a task that plans
dependent turns, :class:`warmreg.api.DependentTask`, has its plan checked too)::

    from warmreg.testing import TaskSuite

    class TestPushback(TaskSuite):
        plugin_name = "pushback"      # the entry-point name in warmreg.tasks
        config = {"limit": 10}        # the recipe section the suite builds Config from
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable, ClassVar, Mapping, Sequence

import pytest

from warmreg import api, registry
from warmreg.testing.checks import (build_config, check_config_class, check_documented,
                                    check_registered, load_plugin, readme_of)

TASK_FIELDS = ("limit", "judge", "max_new_tokens")  # every task Config has these
ROLES = ("system", "user", "assistant")


def check_task_class(cls: type) -> None:
    """Config, category and ``items`` are what :class:`warmreg.api.Task` asks for."""
    check_config_class(cls, TASK_FIELDS)
    category = getattr(cls, "category", None)
    assert category in (api.RELIABILITY, api.CAPABILITY), (
        f"{cls.__name__}.category must be {api.RELIABILITY!r} or {api.CAPABILITY!r}, "
        f"got {category!r}")
    assert isinstance(getattr(cls, "refusal_is_correct", None), bool), (
        f"{cls.__name__}.refusal_is_correct must be declared True or False (is refusing the "
        "right answer on this task's items?)")
    assert callable(getattr(cls, "items", None)), f"{cls.__name__} has no items(seed) method"


def check_default_judge(name: Any) -> None:
    """``name`` (a task Config's ``judge``) is a registered judge plugin."""
    assert isinstance(name, str) and name, f"Config.judge must name a judge, got {name!r}"
    known = registry.discover("judges")
    assert name in known, (f"Config.judge {name!r} is not a registered judge; "
                           f"installed: {sorted(known)}")


def check_items(items: Sequence[api.Item], task: str) -> None:
    """Every item is well-formed and ids are unique (see :func:`check_item`)."""
    assert isinstance(items, Sequence) and not isinstance(items, (str, bytes)), (
        f"items(seed) must return a sequence of Item, got {type(items).__name__}")
    assert len(items) > 0, f"task {task!r} yielded no items"
    seen: set[str] = set()
    for item in items:
        check_item(item, task)
        assert item.id not in seen, f"task {task!r}: duplicate id {item.id!r}"
        seen.add(item.id)


def check_item(item: api.Item, task: str) -> None:
    """One item: types, non-empty question and answers, history, serialisable meta."""
    assert isinstance(item, api.Item), f"task {task!r} yielded {type(item).__name__}, not Item"
    where = f"task {task!r}, item {item.id!r}"
    assert item.task == task, (
        f"{where}: Item.task is {item.task!r}; it must be the entry-point name")
    assert isinstance(item.id, str) and item.id.strip(), f"{where}: id must be a non-empty str"
    assert isinstance(item.question, str) and item.question.strip(), (
        f"{where}: question must be a non-empty str")
    assert isinstance(item.correct, tuple) and item.correct, (
        f"{where}: correct must be a non-empty tuple of str, got {item.correct!r}")
    assert all(isinstance(a, str) and a.strip() for a in item.correct), (
        f"{where}: every correct answer must be a non-empty str, got {item.correct!r}")
    assert isinstance(item.incorrect, str), f"{where}: incorrect must be a str"
    assert isinstance(item.choices, tuple) and all(isinstance(c, str) for c in item.choices), (
        f"{where}: choices must be a tuple of str, got {item.choices!r}")
    assert isinstance(item.refusal_is_correct, bool), f"{where}: refusal_is_correct must be a bool"
    check_history(item.history, where)
    try:
        json.dumps(item.to_dict())
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{where}: the item (meta included) must be JSON-serialisable: "
                             f"{exc}") from exc


def check_history(history: Sequence[api.Message], where: str) -> None:
    """Earlier turns: a tuple of {role, content} messages, ending with an assistant turn.

    The final user turn (the question) follows the history, so user and assistant turns
    alternate from the first user turn on; a system message may only come first.
    """
    assert isinstance(history, tuple), f"{where}: history must be a tuple of messages"
    roles = []
    for n, message in enumerate(history):
        assert isinstance(message, Mapping), f"{where}: history[{n}] must be a mapping"
        assert set(message) == {"role", "content"}, (
            f"{where}: history[{n}] must have exactly the keys role and content, "
            f"got {sorted(message)}")
        assert message["role"] in ROLES, (
            f"{where}: history[{n}] role {message['role']!r} not in {ROLES}")
        assert isinstance(message["content"], str) and message["content"].strip(), (
            f"{where}: history[{n}] content must be a non-empty str")
        roles.append(message["role"])
    turns = roles[1:] if roles[:1] == ["system"] else roles
    expected = ["user", "assistant"] * (len(turns) // 2)
    assert turns == expected, (
        f"{where}: history roles {roles} must alternate user, assistant (an optional system "
        "message first) and end with an assistant turn, before the final user question")


def check_stable(make_items: Callable[[], Sequence[api.Item]], task: str) -> None:
    """Two fresh task instances give the same items, in the same order, for one seed."""
    first, second = make_items(), make_items()
    as_dicts = [[i.to_dict() for i in first], [i.to_dict() for i in second]]
    assert as_dicts[0] == as_dicts[1], (
        f"task {task!r} is not deterministic: the same seed gave different items "
        "(sample with a seeded hash or random.Random(seed), never global randomness)")


def check_limit(items: Sequence[api.Item], limit: int, total: int, task: str) -> None:
    """``limit`` items are kept (fewer only when the task has fewer in all)."""
    assert len(items) == min(limit, total), (
        f"task {task!r} with limit={limit} yielded {len(items)} items "
        f"(expected {min(limit, total)} of {total})")


FOLLOW_UP_REPLIES = ("", "I'm not sure.", "x" * 100_000, "答案是北京。", "الجواب هو القاهرة",
                     "🙂\x00\x1b[0m")  # edge replies a follow-up must be built from


def check_turn_plan(task: Any, items: Sequence[api.Item], name: str) -> None:
    """A task's turn plan (:class:`warmreg.api.DependentTask`) is usable by the runner.

    ``turns`` is an int of at least 1. For each item, conversations are played out to
    ``turns`` replies with the item's answers and edge replies (empty, 100k characters,
    other scripts, control characters) as the model's: every follow-up is a non-empty
    str, the same when asked twice (it is rebuilt on resume and keys the next turn), and
    the conversation it is given is left unchanged. A task with ``follow_up`` but no
    ``turns`` (or the reverse) is an error: the runner would not see its plan.
    """
    has_turns, has_follow_up = hasattr(task, "turns"), callable(getattr(task, "follow_up", None))
    assert has_turns == has_follow_up, (
        f"task {name!r} declares {'turns' if has_turns else 'follow_up'} without "
        f"{'follow_up' if has_turns else 'turns'}: a DependentTask needs both")
    if not isinstance(task, api.DependentTask):
        return
    turns = task.turns
    assert isinstance(turns, int) and not isinstance(turns, bool) and turns >= 1, (
        f"task {name!r}: turns must be an int >= 1, got {turns!r}")
    for item in items[:3]:
        for reply in (*item.correct[:1], item.incorrect, *FOLLOW_UP_REPLIES):
            _play(task, item, reply, turns, name)


def _play(task: Any, item: api.Item, reply: str, turns: int, name: str) -> None:
    """One conversation of ``turns`` replies, each the same ``reply``."""
    conversation = [*map(dict, item.history), {"role": "user", "content": item.question}]
    for turn in range(1, turns):
        conversation.append({"role": "assistant", "content": reply})
        before = json.dumps(conversation)
        text = task.follow_up(item, conversation)
        where = f"task {name!r}, item {item.id!r}, after reply {turn} ({reply[:20]!r})"
        assert json.dumps(conversation) == before, f"{where}: follow_up changed the conversation"
        assert isinstance(text, str) and text.strip(), (
            f"{where}: follow_up must return non-empty text, got {text!r:.60}")
        assert task.follow_up(item, [dict(m) for m in conversation]) == text, (
            f"{where}: follow_up is not deterministic")
        conversation.append({"role": "user", "content": text})


class TaskSuite:
    """Conformance tests of a task plugin. Subclass it as ``Test...`` and set:

    Attributes:
        plugin_name: the entry-point name in ``warmreg.tasks``.
        config: the recipe section the Config is built from (strictly).
        seed: the seed items are drawn with.
        limit: the ``limit`` the limit test asks for.
    """

    plugin_name: ClassVar[str] = ""
    config: ClassVar[Mapping[str, Any]] = {}
    seed: ClassVar[int] = 0
    limit: ClassVar[int] = 3

    @pytest.fixture(scope="class")
    @classmethod
    def task_class(cls) -> type:
        return load_plugin("tasks", cls.plugin_name)

    @pytest.fixture(scope="class")
    @classmethod
    def task_config(cls, task_class):
        return build_config(task_class, cls.config, cls.plugin_name)

    @pytest.fixture(scope="class")
    @classmethod
    def items(cls, task_class, task_config) -> list[api.Item]:
        return list(task_class(task_config).items(cls.seed))

    def test_registered(self):
        check_registered("tasks", self.plugin_name)

    def test_follows_the_task_protocol(self, task_class, task_config):
        check_task_class(task_class)
        assert isinstance(task_class(task_config), api.Task)

    def test_documented(self, task_class):
        check_documented(task_class, readme_of("tasks", self.plugin_name))

    def test_default_judge_is_registered(self, task_class, task_config):
        default = {f.name: f.default for f in dataclasses.fields(task_class.Config)}["judge"]
        if default is not dataclasses.MISSING:
            check_default_judge(default)
        check_default_judge(task_config.judge)

    def test_items_are_well_formed(self, items):
        check_items(items, self.plugin_name)

    def test_items_are_stable_under_a_seed(self, task_class, task_config):
        check_stable(lambda: task_class(task_config).items(self.seed), self.plugin_name)

    def test_turn_plan(self, task_class, task_config, items):
        check_turn_plan(task_class(task_config), items, self.plugin_name)

    def test_limit_is_respected(self, task_class):
        config = build_config(task_class, {**self.config, "limit": None}, self.plugin_name)
        total = len(task_class(config).items(self.seed))
        limited = build_config(task_class, {**self.config, "limit": self.limit}, self.plugin_name)
        check_limit(task_class(limited).items(self.seed), self.limit, total, self.plugin_name)
