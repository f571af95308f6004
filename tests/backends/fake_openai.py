"""A small OpenAI-compatible chat server for tests, with scripted faults.

The reply to a conversation is ``"echo: " + last message content``. ``faults`` maps a
last-message content to the faults its successive tries meet, e.g.
``{"q3": ["429", "500", "garbage"]}``: the first try gets a 429, the second a 500, the
third invalid JSON, the fourth a normal reply. Faults: "429" (with ``Retry-After``),
"500", "slow" (sleeps ``slow_s`` before answering), "garbage" (invalid JSON),
"nochoices" (valid JSON without choices), "400", "401" (echoes the Authorization
header back, as a careless server might).
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
                 retry_after: str = "0"):
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.delay_s, self.slow_s, self.retry_after = delay_s, slow_s, retry_after
        self.tries: Counter = Counter()
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

    def fault_for(self, key: str) -> str | None:
        with self.lock:
            self.tries[key] += 1
            queue = self.faults.get(key)
            return queue.pop(0) if queue else None

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
            fault = server.fault_for(key)
            time.sleep(server.slow_s if fault == "slow" else server.delay_s)
            if fault == "429":
                return self._send(429, {"error": {"message": "rate limited"}},
                                  {"Retry-After": server.retry_after})
            if fault == "500":
                return self._send(500, {"error": {"message": "boom"}})
            if fault == "400":
                return self._send(400, {"error": {"message": f"model {body['model']} not found"}})
            if fault == "401":
                return self._send(401, {"error": {"message": f"bad key in '{auth}'"}})
            if fault == "garbage":
                return self._send(200, b"{not json")
            if fault == "nochoices":
                return self._send(200, {"id": "x", "object": "chat.completion"})
            reply = {"model": f"{body['model']}-served", "system_fingerprint": "fp_test",
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": f"echo: {key}"}}],
                     "usage": {"prompt_tokens": 7, "completion_tokens": 3}}
            self._send(200, reply)

        def _send(self, status: int, payload, headers=None):
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
