"""A canary API key through every error path of both endpoints, then a search for it everywhere.

One `warmreg run` process (the CLI, as a user runs it) executes six recipes against a
fault-injecting OpenAI-compatible server on 127.0.0.1: the generation backend and the
``llm`` judge's backend each hold their own canary key. The faults echo the key back the
ways careless servers and proxies do (error bodies, HTML pages, a 200 whose body quotes
the Authorization header, a status line's reason phrase, a reply's own text), drop or cut
connections, time out, refuse the key (401, 403), and the HTTP stack raises exceptions
whose text holds the request's URL and headers. Afterwards neither key, nor a piece of
one, may appear in stdout, stderr, the MLflow store (SQLite file and artifacts) or the
warmreg store, reports and results.
"""

from __future__ import annotations

import json
import os
import secrets as random_secrets
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import yaml

from tests.backends.fake_openai import FakeServer

CANARIES = {"WARMREG_CANARY_GEN": f"sk-canary-gen-{random_secrets.token_hex(12)}",
            "WARMREG_CANARY_JUDGE": f"sk-canary-judge-{random_secrets.token_hex(12)}"}
# Each item gets three tries (max_retries: 2); requests consume their model's queue in order.
ECHOES = ["500echo", "html200", "garbage",   # item 1: fails with a key-quoting body each try
          "reason", "drop", "truncated",     # item 2: fails: status line, dropped, cut body
          "slow", "429", None,               # item 3: answered on its third try
          "content"]                         # item 4: answered, quoting the key in its text
VERDICT = "The reply matches the key.\nVERDICT: CORRECT"
# The HTTP stack itself raising with the request's URL and headers in the message.
BOOTSTRAP = textwrap.dedent("""
    import json, sys
    import openai._base_client as base
    from warmreg.cli import main

    http = getattr(base, "httpx2", None) or base.httpx  # the openai client's HTTP stack
    LEAKS = {"gen-urlerror": http.ConnectError, "judge-runtime": RuntimeError}
    real = http.Client.send

    def send(self, request, **kwargs):
        error = LEAKS.get(json.loads(request.content).get("model"))
        if error:
            raise error(f"proxy refused {request.url} with headers {dict(request.headers)}")
        return real(self, request, **kwargs)

    http.Client.send = send
    for name, argv in json.loads(sys.argv[1]):
        print(f"phase {name}: exit {main(argv)}", flush=True)
""")


def _recipe(tmp: Path, phase: str, gen_url: str, judge_url: str, gen_model: str,
            judge_model: str, **backend) -> Path:
    endpoint = {"concurrency": 1, "max_retries": 2, "backoff_s": 0.01, "timeout_s": 0.5}
    recipe = {
        "name": f"canary-{phase}", "experiment": "canary", "workdir": str(tmp / phase),
        "models": [{"name": "served", "path": gen_model, "family": "llama", "size": "1B"}],
        "personas": {},
        "backend": {"name": "openai", "base_url": gen_url, "api_key_env": "WARMREG_CANARY_GEN",
                    **endpoint, **backend},
        "generation": {"max_new_tokens": 16},
        "tasks": {"triviaqa": {"limit": 6, "judge": "llm"}},
        "contexts": ["none"], "beliefs": ["none"],
        "judges": {"llm": {"model": judge_model, "backend": "openai", "backend_config": {
            "base_url": judge_url, "api_key_env": "WARMREG_CANARY_JUDGE", **endpoint}}},
        "warmth": {"enabled": False},
    }
    path = tmp / f"{phase}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def _dead_url() -> str:
    with socket.socket() as sock:  # a port on 127.0.0.1 nobody listens on
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def _texts(root: Path):
    """(path, text) of every file under ``root``; Parquet decoded (it may be compressed)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            yield path, pd.read_parquet(path).to_csv()
        else:
            yield path, path.read_bytes().decode("latin-1")


def _leaks(text: str) -> list[str]:
    """Each canary, or its random part's first 8 characters, found in ``text``."""
    pieces = [*CANARIES.values(), *(key.rsplit("-", 1)[1][:8] for key in CANARIES.values())]
    return [p for p in pieces if p in text]


def test_no_canary_key_survives_any_error_path_of_either_endpoint(tmp_path):
    queues = {"gen-a": ECHOES, "judge-a": ECHOES, "gen-401": ["401"], "judge-403": ["403"]}
    answers = {m: VERDICT for m in ("judge-a", "judge-ok", "judge-403", "judge-runtime")}
    with FakeServer(by_model=queues, answers=answers, slow_s=1.0) as server:
        url, dead = server.url, _dead_url()
        phases = {  # phase: (generation url, model; judge model; backend overrides)
            "transient": (url, "gen-a", "judge-a", {}),
            "gen-401": (url, "gen-401", "judge-ok", {}),
            "judge-403": (url, "gen-ok", "judge-403", {}),
            "dead-endpoint": (dead, "gen-ok", "judge-ok",
                              {"max_retries": 1, "fail_after_errors": 2}),
            "gen-urlerror": (url, "gen-urlerror", "judge-ok", {"fail_after_errors": 2}),
            "judge-runtime": (url, "gen-ok", "judge-runtime", {}),
        }
        runs = [(name, ["run", str(_recipe(tmp_path, name, gen_url, url, gen, judge, **extra))])
                for name, (gen_url, gen, judge, extra) in phases.items()]
        env = {**os.environ, **CANARIES,
               "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
        proc = subprocess.run([sys.executable, "-c", BOOTSTRAP, json.dumps(runs)], env=env,
                              capture_output=True, text=True, timeout=300)

    # the canaries travelled: both endpoints were sent their key and met every fault
    assert server.auth == {f"Bearer {k}" for k in CANARIES.values()}
    assert set(server.served) >= {f for f in ECHOES if f} | {"401", "403", "ok"}
    assert sum(server.served.values()) < 100  # bounded traffic
    exits = dict(line.split(": exit ") for line in proc.stdout.splitlines()
                 if line.startswith("phase "))
    assert exits == {f"phase {p}": "0" if p == "transient" else "1" for p in phases}, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("***") >= 4  # the refusals and give-ups were reported, scrubbed

    # nothing anywhere holds a canary or a piece of one
    places = [("stdout", proc.stdout), ("stderr", proc.stderr),
              *((str(p.relative_to(tmp_path)), t) for p, t in _texts(tmp_path))]
    assert any(name == "mlflow.db" for name, _ in places)
    assert any(name.startswith("mlartifacts/") for name, _ in places)
    assert any(name.endswith("store.sqlite") for name, _ in places)
    leaked = {name: _leaks(text) for name, text in places if _leaks(text)}
    assert leaked == {}

    # the failed items are rows of their own, with their (scrubbed) reasons
    results = pd.read_parquet(tmp_path / "transient" / "report" / "results.parquet")
    assert results["verdict"].value_counts().to_dict() == {"ENDPOINT_ERROR": 4, "CORRECT": 2}
    errors = results[results["verdict"] == "ENDPOINT_ERROR"]
    assert sorted(errors["judge"]) == ["llm", "llm", "runner", "runner"]
    assert errors["judge_explanation"].str.contains(r"\*\*\*").any()
