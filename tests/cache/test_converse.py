"""Dependent conversations through the store: turn by turn, batched, resumable."""

from __future__ import annotations

import pytest

from warmreg.api import (DependentTask, Generation, GenerationParams, Item, ModelSpec,
                         ModelVariant, Prompt, turns_of)
from warmreg.cache import Store, converse

PARAMS = GenerationParams(max_new_tokens=8)
VARIANT = ModelVariant(ModelSpec("m", "m"), "original", "original", fingerprint="fp",
                       system_prompt="Be kind.")


class Backend:
    """Replies with a text derived from the conversation; records every call."""

    def __init__(self, fail_on_turn: int | None = None, fail_after: int = 0):
        self.calls: list[list[list[dict]]] = []
        self.fail_on_turn, self.fail_after = fail_on_turn, fail_after

    def fingerprint(self) -> str:
        return "fake"

    def generate(self, variant, conversations, params):
        self.calls.append([list(c) for c in conversations])
        for i, conv in enumerate(conversations):
            turn = sum(m["role"] == "assistant" for m in conv) + 1
            if turn == self.fail_on_turn and i >= self.fail_after:
                raise KeyboardInterrupt  # the run is killed here
            yield i, Generation(f"answer {turn} to <{conv[-1]['content'][-12:]}>")


class Challenge:
    """A two-turn plan: the follow-up quotes the model's reply."""

    turns = 2
    Config = category = refusal_is_correct = None

    def items(self, seed):
        return []

    def follow_up(self, item, conversation):
        return f"Are you sure about '{conversation[-1]['content']}'?"


class Plain:
    Config = category = refusal_is_correct = None

    def items(self, seed):
        return []


def _prompts(n: int, task: str = "t") -> list[Prompt]:
    return [Prompt(Item(task, f"i{k}", f"{task} question {k}?", ("a",)), "none", "none",
                   ({"role": "user", "content": f"{task} question {k}?"},)) for k in range(n)]


def test_protocol_and_turns_of():
    assert isinstance(Challenge(), DependentTask) and not isinstance(Plain(), DependentTask)
    assert turns_of(Challenge()) == 2 and turns_of(Plain()) == 1


def test_each_turn_is_one_batch_across_items_and_follows_the_reply(tmp_path):
    backend, prompts = Backend(), _prompts(3) + _prompts(2, task="plain")
    plans = {"t": Challenge(), "plain": Plain()}
    with Store(tmp_path / "s.sqlite") as store:
        out = converse(store, backend, VARIANT, prompts, lambda p: PARAMS,
                       lambda item: plans[item.task], "x")
        assert store.counts()["generations"] == 3 * 2 + 2
    assert [len(call) for call in backend.calls] == [5, 3]  # turn 1 of all, then turn 2
    assert all(len(c) == 4 for c in backend.calls[1])  # system, user, assistant, user
    for conv in out[:3]:
        (first, reply1), (second, reply2) = conv
        assert second.messages[:2] == first.messages + (
            {"role": "assistant", "content": reply1.text},)
        assert second.messages[-1]["content"] == f"Are you sure about '{reply1.text}'?"
        # the judge's item holds the whole conversation, the answer key unchanged
        assert second.item.history == second.messages[:-1]
        assert second.item.question == second.messages[-1]["content"]
        assert second.item.correct == first.item.correct and second.item.id == first.item.id
    assert [len(c) for c in out[3:]] == [1, 1] and out[3][0][0] is prompts[3]


@pytest.mark.parametrize("fail_after", [0, 1])
def test_killed_mid_conversation_resumes_without_regenerating_a_turn(tmp_path, fail_after):
    prompts, plans = _prompts(4), {"t": Challenge()}
    with Store(tmp_path / "s.sqlite") as store:
        killed = Backend(fail_on_turn=2, fail_after=fail_after)
        with pytest.raises(KeyboardInterrupt):
            converse(store, killed, VARIANT, prompts, lambda p: PARAMS, lambda i: plans["t"], "x")
        assert store.counts()["generations"] == 4 + fail_after
        resumed = Backend()
        out = converse(store, resumed, VARIANT, prompts, lambda p: PARAMS, lambda i: plans["t"], "x")
        assert store.counts()["generations"] == 8
    # only the missing second turns were asked; no first turn again
    assert [len(call) for call in resumed.calls] == [4 - fail_after]
    assert all(sum(m["role"] == "assistant" for m in c) == 1 for c in resumed.calls[0])
    with Store(tmp_path / "fresh.sqlite") as fresh:
        again = converse(fresh, Backend(), VARIANT, prompts, lambda p: PARAMS,
                         lambda i: plans["t"], "x")
    assert [[g.text for _, g in c] for c in out] == [[g.text for _, g in c] for c in again]


def test_a_failed_first_reply_ends_its_conversation(tmp_path):
    class Failing(Backend):
        def generate(self, variant, conversations, params):
            self.calls.append(conversations)
            for i, _ in enumerate(conversations):
                yield i, Generation("", finish_reason="error" if i == 0 else "stop")

    backend = Failing()
    with Store(tmp_path / "s.sqlite") as store:
        out = converse(store, backend, VARIANT, _prompts(2), lambda p: PARAMS,
                       lambda i: Challenge(), "x")
    assert [g.finish_reason for _, g in out[0]] == ["error", "error"]
    assert len(backend.calls[1]) == 1  # only the conversation still open asked turn 2
