"""A stand-in for OpenAI's fine-tuning API (and chat completions) on 127.0.0.1, for tests.

Implements ``POST /v1/files``, ``POST|GET /v1/fine_tuning/jobs``,
``GET /v1/fine_tuning/jobs/{id}``, ``.../events``, ``.../checkpoints`` and
``POST /v1/chat/completions`` (a fine-tuned model answers ``"<model> says: <question>"``;
a judge prompt, one that asks for a ``VERDICT:`` line, gets ``VERDICT: CORRECT``).

A job moves one status per poll: validating_files -> running -> ``outcome``
("succeeded", "failed" or "cancelled"). While ``hold`` is set it stays running (a test
kills the client then). ``storm`` answers that many requests, of any kind, with 429.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STEPS_PER_EPOCH = 3


class FineTuneServer:
    def __init__(self, outcome: str = "succeeded", storm: int = 0):
        self.outcome, self.storm = outcome, storm
        self.hold = threading.Event()
        self.files: dict[str, bytes] = {}
        self.jobs: dict[str, dict] = {}
        self.events: dict[str, list] = {}
        self.creates: list[dict] = []  # bodies of POST /fine_tuning/jobs
        self.polls = 0  # GET of one job
        self.throttled = 0
        self.chats: list[dict] = []
        self.auth: set[str] = set()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda *args: None  # a killed client's reset is expected
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- behaviour -------------------------------------------------------------------
    def create_job(self, body: dict) -> dict:
        n = len(self.jobs) + 1
        job = {"id": f"ftjob-{n}", "object": "fine_tuning.job", "model": body["model"],
               "status": "validating_files", "training_file": body["training_file"],
               "fine_tuned_model": None, "trained_tokens": None, "error": None,
               "seed": body.get("seed"), "metadata": body.get("metadata"),
               "method": body.get("method"), "created_at": n}
        self.jobs[job["id"]] = job
        self.creates.append(body)
        self.events[job["id"]] = [self._event(job, "message", "Validating training file")]
        return job

    def advance(self, job: dict) -> dict:
        if job["status"] == "validating_files":
            job["status"] = "running"
            epochs = job["method"]["supervised"]["hyperparameters"]["n_epochs"]
            for step in range(1, epochs * STEPS_PER_EPOCH + 1):
                self.events[job["id"]].append(self._event(
                    job, "metrics", f"Step {step}", {"step": step, "train_loss": 2.0 / step}))
        elif job["status"] == "running" and not self.hold.is_set():
            job["status"] = self.outcome
            if self.outcome == "succeeded":
                job["fine_tuned_model"] = self.model_id(job)
                job["trained_tokens"] = 12345
            elif self.outcome == "failed":
                job["error"] = {"code": "invalid_training_file", "message": "bad line 3"}
            self.events[job["id"]].append(self._event(job, "message", f"Job {self.outcome}"))
        return job

    def model_id(self, job: dict, step: int | None = None) -> str:
        suffix = job["metadata"] and "warmreg"
        base = f"ft:{job['model']}:org:{suffix}:{job['id']}"
        return base if step is None else f"{base}:ckpt-step-{step}"

    def checkpoints(self, job: dict) -> list[dict]:
        epochs = job["method"]["supervised"]["hyperparameters"]["n_epochs"]
        out = []
        for epoch in range(max(1, epochs - 2), epochs + 1):  # the last three epochs
            step = epoch * STEPS_PER_EPOCH
            out.append({"id": f"ftckpt-{job['id']}-{step}", "object": "fine_tuning.job.checkpoint",
                        "fine_tuning_job_id": job["id"], "step_number": step,
                        "fine_tuned_model_checkpoint": self.model_id(job, step),
                        "metrics": {"train_loss": 2.0 / step}})
        return out[::-1]  # newest first, as the API lists them

    def _event(self, job, kind, message, data=None):
        n = sum(len(v) for v in self.events.values()) + 1
        return {"id": f"ftevent-{n}", "object": "fine_tuning.job.event", "type": kind,
                "level": "info", "message": message, "data": data or {}, "created_at": n}


def _handler(server: FineTuneServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def _route(self, method: str):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with server.lock:
                server.auth.add(self.headers.get("Authorization", ""))
                if server.storm > 0:
                    server.storm -= 1
                    server.throttled += 1
                    return self._send(429, {"error": {"message": "Rate limit reached"}},
                                      {"Retry-After": "0"})
                status, payload = self._answer(method, urlparse(self.path), raw)
            self._send(status, payload)

        def _answer(self, method, url, raw):
            parts = url.path.removeprefix("/v1/").split("/")
            if method == "POST" and parts == ["files"]:
                file_id = f"file-{len(server.files) + 1}"
                server.files[file_id] = raw
                return 200, {"id": file_id, "object": "file", "bytes": len(raw),
                             "filename": "train.jsonl", "purpose": "fine-tune",
                             "status": "processed", "created_at": 1}
            if method == "POST" and parts == ["fine_tuning", "jobs"]:
                return 200, server.create_job(json.loads(raw))
            if method == "GET" and parts == ["fine_tuning", "jobs"]:
                jobs = sorted(server.jobs.values(), key=lambda j: -j["created_at"])
                return 200, {"object": "list", "data": jobs, "has_more": False}
            if method == "GET" and parts[:2] == ["fine_tuning", "jobs"] and len(parts) >= 3:
                job = server.jobs.get(parts[2])
                if job is None:
                    return 404, {"error": {"message": f"no job {parts[2]}"}}
                if len(parts) == 3:
                    server.polls += 1
                    return 200, server.advance(job)
                if parts[3] == "events":
                    return 200, {"object": "list", "data": server.events[job["id"]][::-1],
                                 "has_more": False}
                if parts[3] == "checkpoints":
                    data = server.checkpoints(job) if job["status"] == "succeeded" else []
                    return 200, {"object": "list", "data": data, "has_more": False}
            if method == "POST" and parts == ["chat", "completions"]:
                return 200, _chat(server, json.loads(raw))
            return 404, {"error": {"message": f"no route {method} {url.path}"}}

        def _send(self, status, payload, headers=None):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _chat(server: FineTuneServer, body: dict) -> dict:
    server.chats.append(body)
    text = " ".join(m["content"] for m in body["messages"])
    if "VERDICT:" in text:
        reply = "The reply matches the key.\nVERDICT: CORRECT"
    else:
        reply = f"{body['model']} says: {body['messages'][-1]['content'][:40]}"
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
            "system_fingerprint": "fp_standin",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": reply}}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 5}}
