"""A stand-in for ``vllm serve`` (run as a program): /health, the LoRA load/unload
endpoints and chat completions that answer ``"<served model>: <last message>"``.

Usage as vLLM's: ``fake_vllm_serve.py MODEL --host H --port P [flags...]``. Every request
and the command line are appended as JSON lines to ``$FAKE_VLLM_LOG``. It answers
/health only after ``$FAKE_VLLM_DELAY`` seconds (a model loading).
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = sys.argv[1:]
MODEL = ARGS[0]
PORT = int(ARGS[ARGS.index("--port") + 1])
LOG = os.environ["FAKE_VLLM_LOG"]
STARTED = time.monotonic()
DELAY = float(os.environ.get("FAKE_VLLM_DELAY", "0"))
adapters: dict[str, str] = {}


def record(entry):
    with open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/health" and time.monotonic() - STARTED >= DELAY:
            return self._send(200, {})
        self._send(503, {"error": "loading"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        record({"path": self.path, "body": body})
        if self.path == "/v1/load_lora_adapter":
            if not os.path.isdir(body["lora_path"]):
                return self._send(400, {"error": {"message": f"no adapter at {body['lora_path']}"}})
            adapters[body["lora_name"]] = body["lora_path"]
            return self._send(200, {})
        if self.path == "/v1/unload_lora_adapter":
            return self._send(200 if adapters.pop(body["lora_name"], None) else 404, {})
        if self.path == "/v1/chat/completions":
            if body["model"] not in (MODEL, *adapters):
                return self._send(404, {"error": {"message": f"model {body['model']} not found"}})
            text = f"{body['model']}: {body['messages'][-1]['content']}"
            return self._send(200, {"model": body["model"], "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2}})
        self._send(404, {})

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


record({"argv": ARGS, "env": os.environ.get("VLLM_ALLOW_RUNTIME_LORA_UPDATING")})
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
