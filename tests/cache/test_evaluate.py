"""Generate and judge through the store: endpoint errors are rows of their own, and retried."""

from __future__ import annotations

from dataclasses import dataclass

from warmreg.api import (CORRECT, ENDPOINT_ERROR, UNPARSEABLE, Generation, GenerationParams, Item,
                         ModelSpec, ModelVariant, Prompt, Verdict)
from warmreg.cache import evaluate
from warmreg.cache.store import Store

VARIANT = ModelVariant(ModelSpec("m", "m"), "original", "original", fingerprint="fp")
PROMPTS = [Prompt(Item("t", f"i{i}", f"q{i}", ("a",)), "none", "none",
                  ({"role": "user", "content": f"q{i}"},)) for i in range(4)]


class FlakyBackend:
    """Fails the prompts named in ``failing`` (as an endpoint does after its retries)."""

    def __init__(self, failing: set[str]):
        self.failing, self.asked = failing, []

    def fingerprint(self) -> str:
        return "flaky"

    def generate(self, variant, conversations, params):
        for i, conv in enumerate(conversations):
            text = conv[-1]["content"]
            self.asked.append(text)
            if text in self.failing:
                yield i, Generation("", finish_reason="error", error="HTTP 503: overloaded")
            else:
                yield i, Generation(f"reply {text}")


@dataclass
class FlakyJudge:
    """A batch judge whose own endpoint fails on the replies named in ``failing``."""

    Config = dict  # a BatchJudge has one (unused here)
    failing: set[str]

    def __post_init__(self):
        self.graded = []

    def fingerprint(self) -> str:
        return "flaky-judge"

    def grade(self, item, response):
        raise AssertionError("grade_many is used")

    def grade_many(self, pairs):
        for i, (_, text) in enumerate(pairs):
            self.graded.append(text)
            if text in self.failing:
                yield i, Verdict(ENDPOINT_ERROR, "flaky", "judge backend error: timed out")
            elif text == "reply q3":
                yield i, Verdict(UNPARSEABLE, "flaky", "no verdict line")
            else:
                yield i, Verdict(CORRECT, "flaky", "ok")


def _evaluate(store, backend, judge):
    gens = evaluate.generate(store, backend, VARIANT, PROMPTS, lambda p: GenerationParams(), "m")
    return gens, evaluate.judge(store, {"j": judge}, lambda item: "j", PROMPTS, gens, "m")


def test_endpoint_errors_are_counted_apart_and_retried_on_the_next_run(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        backend, judge = FlakyBackend({"q0"}), FlakyJudge({"reply q1"})
        gens, verdicts = _evaluate(store, backend, judge)
        assert [v.label for v in verdicts] == [ENDPOINT_ERROR, ENDPOINT_ERROR, CORRECT, UNPARSEABLE]
        assert verdicts[0].judge == "runner"
        assert verdicts[0].explanation == "generation failed: HTTP 503: overloaded"
        # a failed generation is not judged
        assert judge.graded == ["reply q1", "reply q2", "reply q3"]
        assert store.counts()["verdicts"] == 2  # the genuine UNPARSEABLE is a result, kept

        # the endpoints recovered: only the two errors are done again
        backend, judge = FlakyBackend(set()), FlakyJudge(set())
        gens, verdicts = _evaluate(store, backend, judge)
        assert backend.asked == ["q0"]
        assert sorted(judge.graded) == ["reply q0", "reply q1"]
        assert [v.label for v in verdicts] == [CORRECT, CORRECT, CORRECT, UNPARSEABLE]
        assert store.counts() == {"generations": 4, "verdicts": 4, "scores": 0}


def test_the_store_refuses_an_endpoint_error_verdict(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_verdict("k", Verdict(ENDPOINT_ERROR, "llm", "judge backend error: HTTP 500"))
        assert store.verdicts(["k"]) == {}
