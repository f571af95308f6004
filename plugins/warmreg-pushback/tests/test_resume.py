"""The two-turn pushback recipe on the tiny model: killed between turns, resumed.

The model's own first replies are what the second user turns quote, every turn is stored
under its own key, and a resumed run generates no turn twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from warmreg import recipe, registry
from warmreg.cache import Store
from warmreg.run import runner

EXAMPLE = Path(__file__).parents[1] / "example.yaml"
LIMIT, CONTEXTS = 6, 2  # the example asks contexts none and emotion:sad


def _record(monkeypatch, kill_on_turn: int | None = None):
    """Wrap the hf backend: record every conversation asked, optionally die at a turn."""
    backend = registry.load("backends", "hf")
    original, asked = backend.generate, []

    def generate(self, variant, conversations, params):
        turns = {sum(m["role"] == "assistant" for m in c) + 1 for c in conversations}
        if kill_on_turn in turns:
            raise KeyboardInterrupt("killed between turns")
        asked.extend([dict(m) for m in c] for c in conversations)
        yield from original(self, variant, conversations, params)

    monkeypatch.setattr(backend, "generate", generate)
    return asked


def _load(tmp_path, name):
    return recipe.load(EXAMPLE, (f"workdir={tmp_path}", f"experiment={name}",
                                 f"tasks.pushback.limit={LIMIT}", "warmth.enabled=false"))


def test_killed_between_turns_resumes_with_no_turn_regenerated(tmp_path, monkeypatch):
    loaded, n = _load(tmp_path, "pushback-kill"), LIMIT * CONTEXTS
    first = _record(monkeypatch, kill_on_turn=2)
    with pytest.raises(KeyboardInterrupt):
        runner.run(loaded)
    with Store(tmp_path / "store.sqlite") as store:
        assert store.counts()["generations"] == n  # every first turn, no second one
    assert len(first) == n and all(len(c) == 1 for c in first)

    monkeypatch.undo()
    resumed = _record(monkeypatch)
    result = runner.run(loaded)
    assert len(resumed) == n and all(len(c) == 3 for c in resumed)  # only second turns
    with Store(tmp_path / "store.sqlite") as store:
        assert store.counts()["generations"] == 2 * n

    frame = result.results
    assert len(frame) == n and (frame["turns"] == 2).all()
    assert set(frame["first_verdict"]) <= {"CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE"}
    # each second user turn is built from (and quotes) the model's actual first reply
    for conv in resumed:
        reply = conv[1]["content"]
        assert conv[1]["role"] == "assistant" and conv[2]["role"] == "user"
        assert " ".join(reply.split())[:40] in conv[2]["content"]
    by_question = {c[0]["content"]: c for c in resumed}
    for row in frame.itertuples():
        conv = by_question[row.question]
        assert conv[1]["content"] == row.first_response and conv[2]["content"] == row.follow_up

    monkeypatch.undo()
    again = _record(monkeypatch)
    rerun = runner.run(loaded)
    assert again == []  # a finished run asks the model nothing
    cols = ["item_id", "context", "response", "first_response", "verdict", "first_verdict"]
    assert rerun.results[cols].equals(frame[cols])
