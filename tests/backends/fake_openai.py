"""A small OpenAI-compatible chat server for tests, with scripted faults.

The reply to a conversation is ``"echo: " + last message content``, or ``answers[model]``
when the request names a model listed there (a judge that always says "VERDICT: ...").

Faults are scripted two ways; each try of a request takes the next fault of its script,
``None`` meaning a normal reply:

- ``faults`` maps a last-message content to the faults its successive tries meet, e.g.
  ``{"q3": ["429", "500", "garbage"]}``;
- ``by_model`` maps a served model name to one queue that all its requests consume in
  order (with ``concurrency: 1`` the order is the run's), for runs whose prompts a test
  does not write itself.

Faults: "429" (with ``Retry-After``), "500", "400", "slow" (sleeps ``slow_s`` before
answering), "garbage" (truncated JSON), "nochoices" (valid JSON without choices), and
those of a careless server or proxy that echo the key back: "401" (the Authorization
header in a JSON error), "403" (the bare key in a JSON error), "500echo" (an HTML page
listing the request headers), "html200" (a 200 whose non-JSON body quotes the
Authorization header), "reason" (a 502 whose status line's reason phrase holds it),
"content" (a valid reply whose text quotes it); and "drop" (the connection closed with
no reply) and "truncated" (a body shorter than its Content-Length).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    """Serves on 127.0.0.1 (a free port) in a thread; counts tries and requests in flight."""

    def __init__(self, faults=None, delay_s: float = 0.0, slow_s: float = 1.0,
                 retry_after: str = "0", by_model=None, answers=None):
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.by_model = {k: list(v) for k, v in (by_model or {}).items()}
        self.answers = dict(answers or {})
        self.delay_s, self.slow_s, self.retry_after = delay_s, slow_s, retry_after
        self.tries: Counter = Counter()
        self.served: Counter = Counter()  # faults served, by name ("ok" for a normal reply)
        self.auth: set[str] = set()
        self.bodies: list[dict] = []
        self.in_flight = self.max_in_flight = 0
        self.connections = 0  # TCP connections accepted
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "FakeServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fault_for(self, key: str, model: str = "") -> str | None:
        with self.lock:
            self.tries[key] += 1
            queue = self.faults.get(key) or self.by_model.get(model)
            fault = queue.pop(0) if queue else None
            self.served[fault or "ok"] += 1
            return fault

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


def _handler(server: FakeServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers: connection reuse shows

        def log_message(self, *args):  # keep test output quiet
            pass

        def setup(self):
            super().setup()
            with server.lock:
                server.connections += 1

        def do_POST(self):
            server.enter()
            try:
                self._answer()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left
            finally:
                server.leave()

        def _answer(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            auth = self.headers.get("Authorization", "")
            with server.lock:
                server.bodies.append(body)
                server.auth.add(auth)
            key = body["messages"][-1]["content"]
            fault = server.fault_for(key, body.get("model", ""))
            time.sleep(server.slow_s if fault == "slow" else server.delay_s)
            if fault in _ECHOES:
                return _ECHOES[fault](self, auth, body)
            if fault == "429":
                return self._send(429, {"error": {"message": "rate limited"}},
                                  {"Retry-After": server.retry_after})
            if fault == "500":
                return self._send(500, {"error": {"message": "boom"}})
            if fault == "400":
                return self._send(400, {"error": {"message": f"model {body['model']} not found"}})
            if fault == "garbage":
                return self._send(200, f'{{"id": "{auth}", "choi'.encode())
            if fault == "nochoices":
                return self._send(200, {"id": "x", "object": "chat.completion"})
            if fault == "drop":
                self.close_connection = True
                return None
            if fault == "truncated":
                return self._send(200, b'{"choices": [', length=4096)
            text = server.answers.get(body.get("model"), f"echo: {key}")
            self._send(200, _reply(body, text + (f"\n(sent with {auth})" if fault == "content" else "")))

        def _send(self, status: int, payload, headers=None, reason=None, length=None):
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status, reason)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(length or len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            if length:
                self.close_connection = True

    return Handler


def _reply(body: dict, text: str) -> dict:
    return {"model": f"{body['model']}-served", "system_fingerprint": "fp_test",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3}}


def _bare(auth: str) -> str:
    return auth.removeprefix("Bearer ")


# Faults whose reply echoes the key: handler, Authorization header value, request body.
_ECHOES = {
    "401": lambda h, auth, body: h._send(401, {"error": {"message": f"bad key in '{auth}'"}}),
    "403": lambda h, auth, body: h._send(
        403, {"error": {"message": f"key {_bare(auth)} may not use {body['model']}"}}),
    "500echo": lambda h, auth, body: h._send(
        500, f"<html><pre>upstream failed; request was:\n{h.headers}</pre></html>".encode()),
    "html200": lambda h, auth, body: h._send(
        200, f"<html>proxy login required (Authorization: {auth})</html>".encode()),
    "reason": lambda h, auth, body: h._send(502, b"", reason=f"Bad Gateway for key {_bare(auth)}"),
}
