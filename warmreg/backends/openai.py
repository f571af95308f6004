"""``openai``: generate on any OpenAI-compatible chat endpoint (vLLM, SGLang, OpenAI).

Each conversation is one ``POST {base_url}/chat/completions`` through the official
``openai`` client (one client per run, so connections are reused; its own retries off);
at most ``concurrency`` are in flight, and replies are yielded as they complete. A request is retried with
exponential back-off and jitter (honouring ``Retry-After``) on 429, 5xx, timeouts,
connection errors and replies that are not a valid completion; when its retries are
spent, the item is answered with an empty ``Generation(finish_reason="error")`` so one
item never stops a run. Any other 4xx (bad model name, bad key, bad request) stops the
run at once with the status and the server's message, as does a run of
``fail_after_errors`` items in a row that all ended in error (a dead endpoint).

The API key is read from the environment variable named by ``api_key_env`` when a run
starts and only ever sent as ``Authorization: Bearer``; it is not part of the config or
the fingerprint. Every text this module returns, raises or logs (replies, server
messages, reply bodies, exception text) passes through :func:`warmreg.secrets.scrub`
(in ``_Client._message`` and ``_parse``), so neither the key nor any Authorization value
an endpoint echoes reaches a log, an error, the store or MLflow. Each generation records
the model the server says it served and its ``system_fingerprint``.

Model names: the base model is served as ``variant.model.path``. A variant with weights
(a LoRA adapter or a full fine-tune) is served under its own name, ``adapter_model``
with ``{variant}``, ``{model}`` and ``{path}`` filled in; the default ``{variant}`` fits
``vllm serve BASE --enable-lora --lora-modules warm=ADAPTER_DIR cold=ADAPTER_DIR``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Iterator, Mapping, Sequence

from warmreg.api import Generation, GenerationParams, Message, ModelVariant, content_hash
from warmreg.errors import WarmregError
from warmreg.secrets import excerpt, hold, scrub

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 600.0  # a longer Retry-After is taken as this


@dataclass(frozen=True)
class Config:
    """Settings of the ``openai`` backend (the recipe's ``backend`` section)."""

    # Endpoint root; requests go to {base_url}/chat/completions.
    base_url: str = field(default="https://api.openai.com/v1", metadata={"url": True})
    # Name of the environment variable holding the API key (unset: no Authorization header).
    api_key_env: str = "OPENAI_API_KEY"
    # Requests in flight at once.
    concurrency: int = field(default=8, metadata={"min": 1, "max": 4096})
    # Retries of one request after its first try (429, 5xx, timeout, connection, garbage).
    max_retries: int = field(default=6, metadata={"min": 0, "max": 100})
    # Seconds one request may take.
    timeout_s: float = field(default=60.0, metadata={"min": 0, "min_exclusive": True})
    # First retry delay in seconds; doubles per retry, with jitter, up to max_backoff_s.
    backoff_s: float = field(default=1.0, metadata={"min": 0})
    # Longest back-off between two tries (a server's Retry-After is honoured beyond it).
    max_backoff_s: float = field(default=60.0, metadata={"min": 0})
    # Served name of a variant with weights; {variant}, {model} and {path} are filled in.
    adapter_model: str = "{variant}"
    # Extra JSON fields merged into every request body (e.g. {"top_k": 1} on vLLM).
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    # Stop the run when this many items in a row end in error (0: never).
    fail_after_errors: int = field(default=20, metadata={"min": 0})

    def __post_init__(self):
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.max_retries < 0 or self.timeout_s <= 0 or self.backoff_s < 0:
            raise ValueError("max_retries, timeout_s and backoff_s must not be negative")


class EndpointError(WarmregError):
    """The endpoint refused a request in a way retrying cannot fix (a 4xx other than 429)."""


class _Transient(Exception):
    """A failed try worth retrying; ``delay`` is the server's Retry-After, if any."""

    def __init__(self, message: str, delay: float | None = None):
        super().__init__(message)
        self.delay = delay


class OpenAIBackend:
    """Concurrent, retried chat completions; see the module docstring."""

    Config = Config

    def __init__(self, config: Config | None = None):
        self.config = config or Config()

    def fingerprint(self) -> str:
        """Hash of what changes outputs: the endpoint, served-name rule and extra fields."""
        c = self.config
        return content_hash("openai", c.base_url.rstrip("/"), c.adapter_model, dict(c.extra_body))

    def model_name(self, variant: ModelVariant) -> str:
        """The name the endpoint serves ``variant`` under."""
        if not variant.weights:
            return variant.model.path
        if variant.weights_kind == "served":  # a provider's fine-tuned model id
            return variant.served_model()
        return self.config.adapter_model.format(variant=variant.variant, model=variant.model.name,
                                                path=variant.model.path)

    def generate(self, variant: ModelVariant, conversations: Sequence[Sequence[Message]],
                 params: GenerationParams) -> Iterator[tuple[int, Generation]]:
        """Yield ``(index, Generation)`` for each conversation as its reply completes."""
        key = (os.environ.get(self.config.api_key_env) or "").strip()  # a file's newline too
        client = _Client(self.config, key or None)
        model = self.model_name(variant)
        bodies = (self._body(model, conv, params) for conv in conversations)
        errors_in_a_row = 0
        for index, generation in _bounded_map(client.complete, bodies, self.config.concurrency,
                                              client.stopped):
            errors_in_a_row = errors_in_a_row + 1 if generation.finish_reason == "error" else 0
            if errors_in_a_row == self.config.fail_after_errors:
                raise EndpointError(f"{self.config.base_url}: {errors_in_a_row} requests in a row "
                                    f"failed after {self.config.max_retries} retries; "
                                    f"last: {client.last_error}")
            yield index, generation

    def _body(self, model: str, conversation: Sequence[Message], params: GenerationParams) -> dict:
        return {"model": model, "messages": [dict(m) for m in conversation],
                "temperature": params.temperature, "top_p": params.top_p,
                "max_tokens": params.max_new_tokens, "seed": params.seed,
                **dict(self.config.extra_body)}


def _bounded_map(fn, items, limit: int, stop: threading.Event) -> Iterator[tuple[int, Any]]:
    """``(index, fn(item))`` in completion order, with at most ``limit`` calls running.

    On exit (done, an error, or the consumer stopped) ``stop`` is set so that calls still
    running give up at their next retry instead of holding the run.
    """
    items = enumerate(items)
    pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="warmreg-openai")
    running: dict[Future, int] = {}
    try:
        while True:
            for index, item in items:
                running[pool.submit(fn, item)] = index
                if len(running) >= limit:
                    break
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield running.pop(future), future.result()
    finally:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)


class _Client:
    """Sends one chat completion with retries through the official ``openai`` client.

    One ``openai.OpenAI`` per run: its HTTP connection pool is shared by every thread, so
    connections are reused. The client's own retries are off (``max_retries=0``): the
    policy is warmreg's, so that back-off, ``Retry-After``, fail-fast and what counts as
    transient stay the same whatever the client version. It holds the key; every message
    that leaves it is built by :meth:`_message`, the one place a scrubber applies.
    """

    def __init__(self, config: Config, key: str | None):
        self.config, self._key = config, key
        hold(key)
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        self.last_error = ""
        self.stopped = threading.Event()  # set when the run ends: stop retrying
        self._openai = _openai_client(config, key)

    def __repr__(self) -> str:
        return f"_Client({self.url!r})"

    def complete(self, body: dict) -> Generation:
        """The completion of ``body``, or an error Generation once the retries are spent."""
        for attempt in range(self.config.max_retries + 1):
            try:
                return _parse(self._post(body))
            except _Transient as exc:
                error = self.last_error = self._message(str(exc))
                if attempt == self.config.max_retries or self._wait(attempt, exc):
                    break
        log.warning("%s: giving up after %d tries: %s", self.url, attempt + 1, error)
        return Generation(text="", finish_reason="error", error=error)

    def _wait(self, attempt: int, exc: _Transient) -> bool:
        """Sleep before retry ``attempt + 1``; True when the run stopped meanwhile."""
        delay = exc.delay if exc.delay is not None else self._backoff(attempt)
        log.info("%s: retry %d/%d in %.2fs: %s", self.url, attempt + 1, self.config.max_retries,
                 delay, self._message(str(exc)))
        return self.stopped.wait(delay)

    def _post(self, body: dict) -> bytes:
        """The raw reply body; a failed try becomes ``_Transient`` or :class:`EndpointError`."""
        import openai

        try:
            raw = self._openai.chat.completions.with_raw_response.create(
                **_split(body), extra_headers=no_auth_headers(self._key))
            return raw.http_response.content
        except openai.APIStatusError as exc:
            message = self._message(_server_message(exc))
            if exc.status_code == 429 or exc.status_code >= 500:
                raise _Transient(f"HTTP {exc.status_code}: {message}",
                                 retry_after(exc.response.headers.get("Retry-After"))) from None
            raise EndpointError(self._message(
                f"{self.url} answered HTTP {exc.status_code}: {message}")) from None
        except (openai.APIConnectionError, openai.APIResponseValidationError) as exc:
            # APITimeoutError is an APIConnectionError; the cause names what went wrong
            cause = exc.__cause__ or exc
            raise _Transient(self._message(f"{type(exc).__name__}: {cause}")) from None
        except Exception as exc:  # anything else from the HTTP stack stops the run, scrubbed
            raise EndpointError(self._message(f"{self.url}: {type(exc).__name__}: {exc}")) \
                from None

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(self.config.backoff_s, self.config.max_backoff_s, attempt)

    def _message(self, text: str) -> str:
        """Text that may leave the client (logs, errors): scrubbed, then cut."""
        return excerpt(text, 600)


def backoff_delay(base_s: float, max_s: float, attempt: int) -> float:
    """Delay before retry ``attempt + 1``: ``base_s`` doubled per try up to ``max_s``,
    the upper half jittered so that many clients do not retry in step."""
    ceiling = min(max_s, base_s * 2 ** attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _openai_client(config: Config, key: str | None):
    """An ``openai.OpenAI`` for ``config``: warmreg's timeout, no retries of its own.

    Without a key no ``Authorization`` header is sent (a local vLLM needs none).
    """
    import openai

    return openai.OpenAI(base_url=config.base_url.rstrip("/"), api_key=key or "unused",
                         timeout=config.timeout_s, max_retries=0)


def no_auth_headers(key: str | None) -> dict:
    """Per-request headers that drop ``Authorization`` when there is no key."""
    import openai

    return {} if key else {"Authorization": openai.Omit()}


_CREATE_ARGS = {"model", "messages", "temperature", "top_p", "max_tokens", "seed"}


def _split(body: dict) -> dict:
    """``create`` arguments from a request body: fields it does not name go in ``extra_body``."""
    known = {k: v for k, v in body.items() if k in _CREATE_ARGS}
    extra = {k: v for k, v in body.items() if k not in _CREATE_ARGS}
    return {**known, "extra_body": extra} if extra else known


def _parse(raw: bytes) -> Generation:
    """A Generation from a chat-completion reply; anything malformed is transient.

    The served model and ``system_fingerprint`` are recorded: a provider may change the
    model behind a name, and this is how a reader finds out.
    """
    try:
        reply = json.loads(raw)
        choice = reply["choices"][0]
        text = choice["message"].get("content") or ""
        if not isinstance(text, str):
            raise TypeError(f"content is {type(text).__name__}")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        body = excerpt(raw.decode("utf-8", "replace"), 200)
        raise _Transient(f"malformed reply ({type(exc).__name__}: {excerpt(str(exc), 100)}): "
                         f"{body!r}") from None
    usage = reply.get("usage") or {}
    return Generation(text=scrub(text), n_prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      n_new_tokens=int(usage.get("completion_tokens") or 0),
                      finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
                      served_model=str(reply.get("model") or ""),
                      system_fingerprint=str(reply.get("system_fingerprint") or ""))


def _server_message(exc) -> str:
    """The ``error.message`` of an OpenAI-style error body, else the body (unscrubbed)."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and "message" in inner:
            return str(inner["message"])
    try:
        text = exc.response.text
    except Exception:  # noqa: BLE001 - a body that cannot be read says nothing more
        text = ""
    return text or str(exc.message)  # unscrubbed and whole: the caller scrubs and cuts


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
