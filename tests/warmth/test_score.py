import math

import pytest

from tests.conftest import one_torch_thread, requires_smollm2
from warmreg.warmth import score as warmth
from warmreg.warmth.score import check_variant, warmth_scores, warmth_summary

TEXTS = ["We can work through this together.", "The answer is 42.",
         "I'm sorry, but I can't help with that request."]


@pytest.fixture(autouse=True)
def _one_thread():
    with one_torch_thread():
        yield


def test_one_score_per_text_and_nan_for_empty(tiny_model_path):
    scores = warmth_scores(TEXTS + [""], tiny_model_path)
    assert len(scores) == 4 and all(isinstance(s, float) for s in scores)
    assert all(math.isfinite(s) for s in scores[:3]) and math.isnan(scores[3])


def test_deterministic_and_independent_of_batching(tiny_model_path):
    a = warmth_scores(TEXTS, tiny_model_path, batch_size=16)
    assert a == warmth_scores(TEXTS, tiny_model_path, batch_size=16)
    b = warmth_scores(TEXTS, tiny_model_path, batch_size=1)  # no padding at all
    assert a == pytest.approx(b, abs=1e-5)


def test_texts_are_cut_to_max_tokens(tiny_model_path):
    long = "The capital of France is Paris. " * 10
    a, b, c = warmth_scores([long, long + "I think the answer is Lyon.", "The capital"],
                            tiny_model_path, max_tokens=8)
    assert a == pytest.approx(b, abs=1e-6)
    assert a != pytest.approx(c, abs=1e-6)


def test_score_is_warm_minus_cold_mean_token_logprob(tiny_model_path, monkeypatch):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setattr(warmth, "WARM_FRAMINGS", ('My friend said: "',))
    monkeypatch.setattr(warmth, "COLD_FRAMINGS", ('The stranger said: "',))
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path).eval()
    body = tokenizer(TEXTS[0], add_special_tokens=False)["input_ids"]

    def mean_logprob(framing):
        prefix = tokenizer(framing)["input_ids"]
        ids = torch.tensor([prefix + body])
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=ids).logits[0], -1)
        return sum(logp[len(prefix) + i - 1, t].item() for i, t in enumerate(body)) / len(body)

    expected = mean_logprob('My friend said: "') - mean_logprob('The stranger said: "')
    assert warmth_scores(TEXTS[:1], tiny_model_path)[0] == pytest.approx(expected, abs=1e-5)


def test_summary_bootstrap_interval():
    scores = [0.1, 0.3, 0.2, 0.5, 0.4, float("nan")]
    s = warmth_summary(scores, n_boot=500, seed=1)
    assert s["n"] == 5 and s["mean"] == pytest.approx(0.3)
    assert s["ci_low"] < s["mean"] < s["ci_high"]
    assert s == warmth_summary(scores, n_boot=500, seed=1)
    assert warmth_summary([0.2]) == {"mean": 0.2, "ci_low": 0.2, "ci_high": 0.2, "n": 1}
    assert warmth_summary([])["n"] == 0 and math.isnan(warmth_summary([])["mean"])


def test_check_variant_returns_loggable_metrics(tiny_model_path):
    metrics = check_variant(TEXTS, tiny_model_path)
    assert set(metrics) == {"warmth_mean", "warmth_ci_low", "warmth_ci_high", "warmth_n"}
    assert metrics["warmth_n"] == 3


@pytest.mark.slow
@requires_smollm2
def test_warm_texts_score_above_cold_ones_with_smollm2():
    from warmreg.models import SMOLLM2

    warm = ["Oh, I'm so sorry you're going through this — we'll figure it out together, "
            "you're doing great",
            "I'm really glad you reached out, and it makes total sense to feel this way. "
            "Let's take it one step at a time together."]
    cold = ["Incorrect. Read the manual.",
            "The request is denied. Submit form B-12 by Friday."]
    scores = warmth_scores(warm + cold, SMOLLM2)
    assert min(scores[:2]) > max(scores[2:]), scores


def test_scores_are_cached_by_scorer_and_text(tmp_path):
    from warmreg.warmth.check import cached_scores
    from warmreg.cache.store import Store

    calls = []

    def score(texts, scorer, max_tokens):
        calls.append(list(texts))
        return [float(len(t)) if t else float("nan") for t in texts]

    with Store(tmp_path / "s.sqlite") as store:
        first = cached_scores(store, ["warm", "cold", "warm", ""], "scorer-a", 64, score)
        again = cached_scores(store, ["cold", "warm", ""], "scorer-a", 64, score)
        other = cached_scores(store, ["warm"], "scorer-b", 64, score)
    assert first[:3] == [4.0, 4.0, 4.0] and first[3] != first[3]
    assert again[:2] == [4.0, 4.0] and again[2] != again[2]
    assert other == [4.0]
    assert calls == [["warm", "cold", ""], ["warm"]]  # each new (scorer, text) scored once


def test_scores_in_another_precision_are_cached_apart(tmp_path, monkeypatch):
    from warmreg import models
    from warmreg.cache.store import Store
    from warmreg.warmth.check import cached_scores, scorer_dtype

    def score(texts, scorer, max_tokens):
        return [float(len(t)) for t in texts]

    monkeypatch.setattr(models, "native_bf16", lambda device="cpu": True)
    assert scorer_dtype("fast") == "bfloat16" and scorer_dtype("auto") == "float32"
    monkeypatch.setattr(models, "native_bf16", lambda device="cpu": False)
    assert scorer_dtype("fast") == "float32"
    with Store(tmp_path / "s.sqlite") as store:
        cached_scores(store, ["warm"], "scorer-a", 64, score, "float32")
        bf16 = cached_scores(store, ["warm"], "scorer-a", 64,
                             lambda t, s, max_tokens: [-1.0] * len(t), "bfloat16")
        again = cached_scores(store, ["warm"], "scorer-a", 64, score, "float32")
    assert bf16 == [-1.0] and again == [4.0]  # bfloat16 scores neither reuse nor replace float32's
