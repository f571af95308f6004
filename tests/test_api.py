"""The values that cross plugin contracts."""

from __future__ import annotations

import pytest

from warmreg.api import Item, content_hash


def test_items_from_lists_equal_items_from_tuples_and_hash_with_history():
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    from_json = Item("pushback", "q1", "Are you sure?", ["Paris"], "Lyon", history=history)
    built = Item("pushback", "q1", "Are you sure?", ("Paris",), "Lyon", history=tuple(history))
    assert from_json == built and from_json.correct == ("Paris",)
    assert len({from_json, built}) == 1  # multi-turn items go into sets and dict keys
    assert {built: 1}[from_json] == 1
    assert from_json != Item("pushback", "q1", "Are you sure?", ("Paris",), "Marseille",
                             history=history)
    assert content_hash(from_json.to_dict()) == content_hash(built.to_dict())


def test_a_string_where_answers_belong_names_the_item():
    with pytest.raises(TypeError, match="triviaqa/q7: correct must be a sequence"):
        Item("triviaqa", "q7", "Capital of France?", "Paris")
