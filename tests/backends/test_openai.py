"""The ``openai`` backend against a local fake OpenAI-compatible server."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from tests.backends.fake_openai import FakeServer
from warmreg.api import GenerationParams, ModelSpec, ModelVariant
from warmreg.backends.openai import Config, EndpointError, OpenAIBackend

KEY = "sk-test-7f3a9c-do-not-leak"
BASE = ModelVariant(ModelSpec("smol", "HuggingFaceTB/SmolLM2-135M-Instruct"), "original", "original")
WARM = ModelVariant(BASE.model, "warm", "sft-warm", weights="/ckpt/warm", weights_kind="lora")
FAST = dict(backoff_s=0.01, timeout_s=5.0)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("WARMREG_TEST_KEY", KEY)


def convs(n: int):
    return [[{"role": "system", "content": "Be kind."}, {"role": "user", "content": f"q{i}"}]
            for i in range(n)]


def run(server: FakeServer, n: int, variant=BASE, params=GenerationParams(max_new_tokens=16),
        **config):
    backend = OpenAIBackend(Config(base_url=server.url, api_key_env="WARMREG_TEST_KEY",
                                   **{**FAST, **config}))
    return list(backend.generate(variant, convs(n), params))


def test_every_item_gets_its_own_reply_within_the_concurrency_bound():
    with FakeServer(delay_s=0.03) as server:
        out = run(server, 24, concurrency=4, extra_body={"top_k": 1},
                  params=GenerationParams(max_new_tokens=16, temperature=0.7, top_p=0.9, seed=5))
    assert sorted(i for i, _ in out) == list(range(24))
    for i, gen in out:
        assert gen.text == f"echo: q{i}"
        assert (gen.n_prompt_tokens, gen.n_new_tokens, gen.finish_reason) == (7, 3, "stop")
    assert 2 <= server.max_in_flight <= 4
    body = server.bodies[0]
    assert body["model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert body["messages"][0] == {"role": "system", "content": "Be kind."}
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"],
            body["top_k"]) == (0.7, 0.9, 16, 5, 1)
    assert server.auth == {f"Bearer {KEY}"}


def test_transient_faults_are_retried_until_answered():
    faults = {"q1": ["429"], "q2": ["500", "500"], "q3": ["garbage"], "q4": ["nochoices"],
              "q5": ["slow"]}
    with FakeServer(faults, slow_s=1.0) as server:
        out = dict(run(server, 8, timeout_s=0.3))
    assert {i: g.text for i, g in out.items()} == {i: f"echo: q{i}" for i in range(8)}
    assert dict(server.tries) == {"q0": 1, "q1": 2, "q2": 3, "q3": 2, "q4": 2, "q5": 2,
                                  "q6": 1, "q7": 1}


def test_retry_after_is_honoured():
    with FakeServer({"q0": ["429"]}, retry_after="1") as server:
        start = time.monotonic()
        out = run(server, 1)
    assert time.monotonic() - start >= 0.95
    assert out[0][1].text == "echo: q0" and server.tries["q0"] == 2


def test_an_item_that_keeps_failing_is_answered_with_an_error():
    with FakeServer({"q1": ["garbage"] * 10}) as server:
        out = dict(run(server, 3, max_retries=2))
    assert out[1].finish_reason == "error" and out[1].text == ""
    assert server.tries["q1"] == 3
    assert out[0].text == "echo: q0" and out[2].text == "echo: q2"


def test_a_client_error_stops_the_run_at_once():
    with FakeServer({"q0": ["400"]}) as server:
        with pytest.raises(EndpointError, match="HTTP 400: model warm not found"):
            run(server, 1, variant=WARM)
    assert server.tries["q0"] == 1


def test_the_key_never_appears_in_logs_errors_or_fingerprint(caplog):
    caplog.set_level(logging.DEBUG)
    with FakeServer({"q0": ["500", "garbage"], "q1": ["401"]}) as server:
        with pytest.raises(EndpointError) as excinfo:
            run(server, 2, concurrency=1)
    assert server.auth == {f"Bearer {KEY}"}
    assert "HTTP 401" in str(excinfo.value) and "***" in str(excinfo.value)
    assert "retry 1/6" in caplog.text
    backend = OpenAIBackend(Config(api_key_env="WARMREG_TEST_KEY"))
    for text in (str(excinfo.value), repr(excinfo.value), caplog.text, backend.fingerprint(),
                 repr(backend.config)):
        assert KEY not in text


def test_no_authorization_header_without_a_key(monkeypatch):
    monkeypatch.delenv("WARMREG_TEST_KEY")
    with FakeServer() as server:
        run(server, 1)
    assert server.auth == {""}


def test_a_dead_endpoint_stops_the_run():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = OpenAIBackend(Config(base_url=f"http://127.0.0.1:{port}/v1", max_retries=1,
                                   fail_after_errors=3, **FAST))
    with pytest.raises(EndpointError, match="3 requests in a row failed"):
        list(backend.generate(BASE, convs(10), GenerationParams()))


def test_stopping_early_does_not_wait_for_the_rest():
    with FakeServer({f"q{i}": ["500"] * 10 for i in range(1, 20)}) as server:
        backend = OpenAIBackend(Config(base_url=server.url, backoff_s=5.0, concurrency=4))
        start = time.monotonic()
        stream = backend.generate(BASE, convs(20), GenerationParams())
        assert next(stream)[0] == 0
        stream.close()
    assert time.monotonic() - start < 3


def test_served_names_of_variants():
    assert OpenAIBackend().model_name(BASE) == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert OpenAIBackend().model_name(WARM) == "warm"
    custom = OpenAIBackend(Config(adapter_model="{model}-{variant}"))
    assert custom.model_name(WARM) == "smol-warm"


def test_fingerprint_follows_what_changes_outputs():
    fp = OpenAIBackend(Config()).fingerprint
    assert fp() == OpenAIBackend(Config(concurrency=64, max_retries=1, api_key_env="X")).fingerprint()
    assert fp() != OpenAIBackend(Config(base_url="http://localhost:8000/v1")).fingerprint()
    assert fp() != OpenAIBackend(Config(extra_body={"top_k": 1})).fingerprint()


def test_config_from_a_recipe_section():
    from warmreg.config import build
    from warmreg.errors import ConfigError

    config = build(Config, {"base_url": "http://h:8000/v1", "concurrency": 32,
                            "extra_body": {"top_k": 1}}, "r.yaml: backend")
    assert config.concurrency == 32 and config.extra_body == {"top_k": 1}
    with pytest.raises(ConfigError, match="did you mean"):
        build(Config, {"concurency": 2}, "r.yaml: backend")


@pytest.mark.parametrize("fault, shows", [
    ("500echo", "HTTP 500: <html>"), ("html200", "malformed reply"), ("garbage", "malformed reply"),
    ("reason", "HTTP 502"), ("drop", "Server disconnected"),
    ("truncated", "peer closed connection"), ("slow", "timed out"),
])
def test_a_fault_that_echoes_the_key_fails_the_item_with_a_scrubbed_reason(fault, shows, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeServer({"q0": [fault]}, slow_s=1.0) as server:
        [(_, gen)] = run(server, 1, max_retries=0, timeout_s=0.3)
    assert gen.finish_reason == "error" and shows in gen.error, gen.error
    assert server.auth == {f"Bearer {KEY}"}
    assert KEY not in gen.error + caplog.text and KEY[:12] not in gen.error


@pytest.mark.parametrize("fault", ["401", "403"])
def test_a_refusal_that_echoes_the_key_stops_the_run_without_it(fault):
    with FakeServer({"q0": [fault]}) as server:
        with pytest.raises(EndpointError, match=f"HTTP {fault}") as excinfo:
            run(server, 1)
    assert "***" in str(excinfo.value) and KEY not in str(excinfo.value)


def test_a_reply_that_quotes_the_key_is_stored_without_it():
    with FakeServer({"q0": ["content"]}) as server:
        [(_, gen)] = run(server, 1)
    assert gen.text == "echo: q0\n(sent with Bearer ***)"


def test_an_unexpected_exception_from_the_http_stack_stops_the_run_scrubbed(monkeypatch):
    from types import SimpleNamespace

    import warmreg.backends.openai as module

    def leaky(**kwargs):
        raise RuntimeError(f"cannot send {kwargs['model']} with Authorization: Bearer {KEY}")

    create = SimpleNamespace(create=leaky)
    client = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(
        with_raw_response=create)))
    monkeypatch.setattr(module, "_openai_client", lambda config, key: client)
    backend = OpenAIBackend(Config(base_url="http://127.0.0.1:9/v1",
                                   api_key_env="WARMREG_TEST_KEY"))
    with pytest.raises(EndpointError, match="RuntimeError: cannot send") as excinfo:
        list(backend.generate(BASE, convs(1), GenerationParams()))
    assert KEY not in str(excinfo.value) and excinfo.value.__cause__ is None


def test_each_generation_records_the_served_model_and_fingerprint(tmp_path):
    from warmreg.cache import Store

    with FakeServer() as server:
        out = dict(run(server, 2))
    assert {(g.served_model, g.system_fingerprint) for g in out.values()} == {
        ("HuggingFaceTB/SmolLM2-135M-Instruct-served", "fp_test")}
    with Store(tmp_path / "s.sqlite") as store:  # the store keeps what the server said
        store.put_generation("k", out[0], {"variant": "v"})
        again = store.generations(["k"])["k"]
    assert (again.served_model, again.system_fingerprint, again.text) == (
        "HuggingFaceTB/SmolLM2-135M-Instruct-served", "fp_test", "echo: q0")


def test_one_client_and_its_connections_serve_the_whole_run():
    with FakeServer() as server:
        backend = OpenAIBackend(Config(base_url=server.url, concurrency=1, **FAST))
        list(backend.generate(BASE, convs(6), GenerationParams()))
    assert server.connections == 1  # keep-alive: six requests over one connection


def test_a_provider_fine_tuned_variant_is_sent_by_its_model_id(tmp_path):
    (tmp_path / "served_model.json").write_text('{"model": "ft:gpt-4o:org:warm:abc"}')
    tuned = ModelVariant(BASE.model, "warm", "openai-finetune", weights=str(tmp_path),
                         weights_kind="served")
    with FakeServer() as server:
        run(server, 1, variant=tuned)
    assert server.bodies[0]["model"] == "ft:gpt-4o:org:warm:abc"
