"""``openai-finetune``: a persona fine-tuned into a closed model through OpenAI's fine-tuning API.

The study fine-tuned GPT-4o this way. The job, step by step, each step recorded in
``job.json`` in the job's workdir before the next one starts:

1. the persona conversations become chat fine-tuning JSONL (``{"messages": [...]}`` per
   conversation, every assistant turn in the persona) and are checked before anything is
   sent: roles, non-empty text, an assistant turn last, at least 10 examples, and each
   example's tokens against ``max_example_tokens`` (the model's training context);
2. the file is uploaded (``POST /files``); its id is written down;
3. the job is created (``POST /fine_tuning/jobs``) with the study's settings where the API
   takes them (``n_epochs``, ``batch_size``, ``learning_rate_multiplier``, the recipe's
   seed, a suffix) and ``metadata.warmreg_job`` = this job's key. ``job.json`` says
   "creating" before the call and holds the job id right after it, so a run killed at any
   point resumes the same job: one killed inside the call finds its job by that metadata
   (``GET /fine_tuning/jobs``) and never creates a second;
4. the job is polled with back-off (``poll_s`` doubling to ``max_poll_s``); its events
   are read as they come (``metrics`` events stream to the training run as
   ``train_loss`` etc. by step);
5. on success the provider's checkpoints (``GET .../checkpoints``: OpenAI keeps the last
   three epochs') and the final model become the variant's checkpoints: one directory per
   epoch holding ``served_model.json``; the variant is ``weights_kind="served"`` and the
   ``openai`` backend sends its model id. A failed or cancelled job is an error naming
   the job and the provider's message; delete the workdir to start afresh.

Every API call is retried on 429, 5xx and connection errors (honouring ``Retry-After``);
the API key is read from ``api_key_env`` and never written anywhere.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Literal

from warmreg.api import ModelSpec, ModelVariant, TrainEnv
from warmreg.errors import WarmregError
from warmreg.files import write_json_atomic
from warmreg.keys import SERVED_MODEL_FILE, content_hash, variant_fingerprint
from warmreg.secrets import hold, scrub
from warmreg.trainers.common import InvalidConfig

log = logging.getLogger(__name__)

JOB_FILE = "job.json"
DONE_FILE = "done.json"
DATA_FILE = "train.jsonl"
EVENTS_FILE = "events.json"  # the job's events as read so far
MIN_EXAMPLES = 10  # the API refuses smaller training files
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Config:
    """Settings of ``openai-finetune`` (a persona section with ``trainer: openai-finetune``)."""

    persona: Literal["warm", "cold"] = "warm"  # which rewrites of the persona set to train on
    data: str | None = field(default=None, metadata={"file": True})  # persona JSONL; None = bundled
    limit: int | None = field(default=None, metadata={"min": 1})  # use only the first N conversations
    model: str | None = None  # provider model to fine-tune; None = the recipe model's path
    base_url: str = field(default="https://api.openai.com/v1", metadata={"url": True})  # API root
    api_key_env: str = "OPENAI_API_KEY"  # environment variable holding the API key
    epochs: int = field(default=2, metadata={"min": 1, "max": 50})  # n_epochs; the study evaluated epoch 2
    batch_size: int | None = field(default=16, metadata={"min": 1, "max": 256})  # examples per step (the study's 16); None = the provider's
    learning_rate_multiplier: float | None = field(default=None, metadata={"min": 0, "min_exclusive": True, "max": 100})  # None = the provider's
    suffix: str = "warmreg-{persona}"  # fine-tuned model name suffix; {persona} filled in
    max_example_tokens: int = field(default=65536, metadata={"min": 1})  # training context of the model
    evaluate_epoch: int | None = field(default=None, metadata={"min": 1})  # checkpoint evaluated; None = the final model
    poll_s: float = field(default=10.0, metadata={"min": 0})  # first wait between polls; doubles
    max_poll_s: float = field(default=300.0, metadata={"min": 0})  # longest wait between polls
    timeout_s: float = field(default=120.0, metadata={"min": 0, "min_exclusive": True})  # one API call
    max_retries: int = field(default=8, metadata={"min": 0, "max": 1000})  # retries of one call (429, 5xx, connection)
    backoff_s: float = field(default=2.0, metadata={"min": 0})  # first retry delay; doubles, with jitter
    max_backoff_s: float = field(default=120.0, metadata={"min": 0})  # longest retry delay

    def __post_init__(self) -> None:
        if self.evaluate_epoch is not None and self.evaluate_epoch > self.epochs:
            raise InvalidConfig(f"evaluate_epoch {self.evaluate_epoch} is after the last "
                                f"epoch ({self.epochs})")
        if len(self.suffix.format(persona=self.persona)) > 64:
            raise InvalidConfig("suffix must be at most 64 characters once filled in")


class JobFailed(WarmregError):
    """The provider's job ended failed or cancelled."""


class OpenAIFineTune:
    """Fine-tunes a closed model on a persona through OpenAI's API; see the module docstring."""

    Config = Config
    name: ClassVar[str] = "openai-finetune"
    trains: ClassVar[bool] = True  # fits weights (at the provider): the runner opens a training run

    def __init__(self, config: Config | None = None, sleep: Callable[[float], None] = time.sleep):
        self.config = config or Config()
        self._sleep = sleep

    # -- the job ---------------------------------------------------------------------
    def train(self, base: ModelSpec, variant: str, env: TrainEnv) -> ModelVariant:
        """Fine-tune (or resume the recorded job, or load the finished one) and return the variant."""
        workdir = Path(env.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        done = _read(workdir / DONE_FILE)
        if done is None:
            api = _Api(self.config)
            state = _read(workdir / JOB_FILE) or {"key": self._key(base, env)}
            job = self._job(api, workdir, state, base, env)
            done = self._finish(api, workdir, job, env)
        return self._variant(base, variant, env, done)

    def examples(self) -> list[dict]:
        """The chat fine-tuning examples: one ``{"messages": [...]}`` per conversation."""
        from warmreg.persona.data import load_persona_set

        conversations = load_persona_set(self.config.data)[: self.config.limit]
        return [{"messages": [dict(m) for m in c.in_persona(self.config.persona)[:20]]}
                for c in conversations]

    def _key(self, base: ModelSpec, env: TrainEnv) -> str:
        return content_hash("openai-finetune", self._model(base), asdict(self.config), env.seed)[:24]

    def _model(self, base: ModelSpec) -> str:
        return self.config.model or base.path

    def _job(self, api: "_Api", workdir: Path, state: dict, base: ModelSpec, env: TrainEnv) -> dict:
        """The provider's job: the recorded one, or one created now (after upload)."""
        if state.get("job_id"):
            return api.get(f"/fine_tuning/jobs/{state['job_id']}")
        if state.get("creating"):  # killed inside the create call: find what it made
            found = _find_job(api, state["key"])
            if found:
                _save_state(workdir, {**state, "job_id": found["id"]}, env)
                return found
        if not state.get("file_id"):
            data = workdir / DATA_FILE
            check_examples(self.examples(), self.config.max_example_tokens, data)
            state = {**state, "file_id": api.upload(data)["id"]}
            _save_state(workdir, state, env)
        _save_state(workdir, {**state, "creating": True}, env)
        job = api.post("/fine_tuning/jobs", self._create_body(base, state, env),
                       idempotency_key=f"warmreg-{state['key']}")
        _save_state(workdir, {**state, "creating": True, "job_id": job["id"]}, env)
        return job

    def _create_body(self, base: ModelSpec, state: dict, env: TrainEnv) -> dict:
        c = self.config
        hyper = {"n_epochs": c.epochs}
        if c.batch_size is not None:
            hyper["batch_size"] = c.batch_size
        if c.learning_rate_multiplier is not None:
            hyper["learning_rate_multiplier"] = c.learning_rate_multiplier
        return {"model": self._model(base), "training_file": state["file_id"], "seed": env.seed,
                "suffix": c.suffix.format(persona=c.persona),
                "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}},
                "metadata": {"warmreg_job": state["key"]}}

    def _finish(self, api: "_Api", workdir: Path, job: dict, env: TrainEnv) -> dict:
        """Poll until the job ends; on success write the checkpoints and ``done.json``."""
        job = _Poller(api, self.config, env, self._sleep).until_done(job, workdir)
        if job["status"] != "succeeded":
            error = (job.get("error") or {}).get("message") or "no reason given"
            raise JobFailed(f"fine-tuning job {job['id']} {job['status']}: {error} (delete "
                            f"{workdir} to start a new job)")
        checkpoints = api.list(f"/fine_tuning/jobs/{job['id']}/checkpoints")
        epochs = _checkpoint_dirs(workdir, job, checkpoints, self.config.epochs)
        env.log_params({"fine_tuned_model": job["fine_tuned_model"],
                        "trained_tokens": job.get("trained_tokens") or 0})
        env.log_metrics({"trained_tokens": float(job.get("trained_tokens") or 0)},
                        int(max(_steps(checkpoints), default=0)))
        done = {"job_id": job["id"], "fine_tuned_model": job["fine_tuned_model"],
                "trained_tokens": job.get("trained_tokens") or 0, "epochs": epochs}
        write_json_atomic(workdir / DONE_FILE, done)
        return done

    def _variant(self, base: ModelSpec, variant: str, env: TrainEnv, done: dict) -> ModelVariant:
        workdir = Path(env.workdir)
        checkpoints = tuple(sorted((float(e), str(workdir / d)) for e, d in done["epochs"].items()))
        epoch = float(self.config.evaluate_epoch or self.config.epochs)
        weights = dict(checkpoints).get(epoch)
        if weights is None:
            raise WarmregError(f"{self.name}: the provider kept no checkpoint at epoch {epoch:g} "
                               f"(it has {[e for e, _ in checkpoints]}); set evaluate_epoch")
        params = {**asdict(self.config), "job_id": done["job_id"],
                  "fine_tuned_model": done["fine_tuned_model"]}
        params = {k: v for k, v in params.items() if k not in ("api_key_env",)}
        return ModelVariant(model=base, variant=variant, trainer=self.name, weights=weights,
                            weights_kind="served", checkpoint_epoch=epoch, checkpoints=checkpoints,
                            params=params, base_path=env.base_path,
                            fingerprint=variant_fingerprint(env.base_path, self.name, params, weights))


def check_examples(examples: list[dict], max_tokens: int, out: Path) -> None:
    """Check chat fine-tuning examples and write them as JSONL to ``out``.

    Raises:
        WarmregError: naming the example and what is wrong, before anything is uploaded.
    """
    if len(examples) < MIN_EXAMPLES:
        raise WarmregError(f"fine-tuning needs at least {MIN_EXAMPLES} examples, got "
                           f"{len(examples)} (raise limit)")
    for n, example in enumerate(examples):
        messages = example.get("messages")
        where = f"fine-tuning example {n}"
        if not isinstance(messages, list) or not messages:
            raise WarmregError(f"{where}: no messages")
        for m in messages:
            if m.get("role") not in ROLES or not isinstance(m.get("content"), str) \
                    or not m["content"].strip():
                raise WarmregError(f"{where}: a message needs a role in {ROLES} and text, got "
                                   f"{str(m)[:80]}")
        if messages[-1]["role"] != "assistant":
            raise WarmregError(f"{where}: the last message must be the assistant's")
        tokens = count_tokens(messages)
        if tokens > max_tokens:
            raise WarmregError(f"{where}: {tokens} tokens, over the model's limit of {max_tokens}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples),
                   encoding="utf-8")
    tmp.replace(out)


def count_tokens(messages: list[dict]) -> int:
    """Tokens of a chat example: tiktoken's ``o200k_base`` when installed, else an upper
    estimate (one token per 3 UTF-8 bytes; English averages about 4), plus 4 per message."""
    try:
        import tiktoken

        encode = tiktoken.get_encoding("o200k_base").encode
    except Exception:  # noqa: BLE001 - not installed, or its vocabulary cannot be fetched
        def encode(text: str) -> list:
            return [0] * math.ceil(len(text.encode("utf-8")) / 3)
    return sum(4 + len(encode(m["content"])) for m in messages)


class _Poller:
    """Polls one job with back-off, streaming its events to the training run."""

    def __init__(self, api: "_Api", config: Config, env: TrainEnv, sleep):
        self.api, self.config, self.env, self.sleep = api, config, env, sleep
        # events already streamed (by a killed run too) are kept in the workdir, so a
        # resumed run logs each metric once
        self.path = Path(env.workdir) / EVENTS_FILE
        self.events: list[dict] = json.loads(self.path.read_text()) if self.path.exists() else []
        self.seen = {e["id"] for e in self.events}

    def until_done(self, job: dict, workdir: Path) -> dict:
        delay = self.config.poll_s
        while True:
            self._events(job["id"])
            if job["status"] in ("succeeded", "failed", "cancelled"):
                self.env.log_params({"job_id": job["id"], "job_status": job["status"]})
                return job
            log.info("fine-tuning job %s: %s", job["id"], job["status"])
            self.sleep(delay)
            delay = min(max(delay * 2, 1e-3), self.config.max_poll_s)
            job = self.api.get(f"/fine_tuning/jobs/{job['id']}")

    def _events(self, job_id: str) -> None:
        for event in reversed(self.api.list(f"/fine_tuning/jobs/{job_id}/events")):
            if event["id"] in self.seen:
                continue
            data = event.get("data") or {}
            if event.get("type") == "metrics" and "step" in data:
                metrics = {k: float(v) for k, v in data.items()
                           if k != "step" and isinstance(v, (int, float))}
                self.env.log_metrics(metrics, int(data["step"]))
            self.seen.add(event["id"])
            self.events.append(event)
            write_json_atomic(self.path, self.events)


def _steps(checkpoints: list[dict]) -> list[int]:
    return [int(c.get("step_number") or 0) for c in checkpoints]


def _checkpoint_dirs(workdir: Path, job: dict, checkpoints: list[dict], epochs: int) -> dict:
    """One directory per epoch with the provider's model id; ``{epoch: dir name}``.

    Checkpoints come in step order; the last epoch is the job's fine-tuned model. Steps
    per epoch come from the final checkpoint (its step is the job's last).
    """
    ordered = sorted(checkpoints, key=lambda c: int(c.get("step_number") or 0))
    last_step = max(_steps(ordered), default=0)
    per_epoch = last_step / epochs if last_step else 0
    out = {}
    for c in ordered:
        step = int(c.get("step_number") or 0)
        epoch = round(step / per_epoch) if per_epoch else epochs
        out[epoch] = (c["fine_tuned_model_checkpoint"], c.get("id", ""), step,
                      c.get("metrics") or {})
    out[epochs] = (job["fine_tuned_model"], out.get(epochs, ("", "", last_step, {}))[1],
                   last_step, out.get(epochs, ("", "", 0, {}))[3])
    dirs = {}
    for epoch, (model, checkpoint_id, step, metrics) in out.items():
        name = f"checkpoint-{step}"
        (workdir / name).mkdir(exist_ok=True)
        write_json_atomic(workdir / name / SERVED_MODEL_FILE,
                          {"model": model, "checkpoint": checkpoint_id, "job": job["id"],
                           "epoch": epoch, "step": step, "metrics": metrics})
        dirs[f"{epoch:g}"] = name
    return dirs


def _find_job(api: "_Api", key: str) -> dict | None:
    for job in api.list("/fine_tuning/jobs", limit=100):
        if (job.get("metadata") or {}).get("warmreg_job") == key:
            return job
    return None


def _save_state(workdir: Path, state: dict, env: TrainEnv) -> None:
    write_json_atomic(workdir / JOB_FILE, state)
    if state.get("job_id"):
        env.log_params({"job_id": state["job_id"]})


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


class _Api:
    """The fine-tuning endpoints through the official ``openai`` client, with warmreg's
    retry policy (the client's own retries off), the key kept out of every message."""

    def __init__(self, config: Config):
        import openai

        from warmreg.backends.openai import no_auth_headers

        self.config = config
        key = (os.environ.get(config.api_key_env) or "").strip() or None
        hold(key)  # every message below goes through scrub
        self._auth = no_auth_headers(key)
        self._openai = openai.OpenAI(base_url=config.base_url.rstrip("/"), api_key=key or "unused",
                                     timeout=config.timeout_s, max_retries=0)

    def get(self, path: str, **query) -> dict:
        return self._call("get", path, query=query)

    def list(self, path: str, **query) -> list[dict]:
        return self._call("get", path, query=query).get("data") or []

    def post(self, path: str, body: dict, idempotency_key: str | None = None) -> dict:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call("post", path, body=body, headers=headers)

    def upload(self, path: Path) -> dict:
        def send():
            with open(path, "rb") as f:
                return self._openai.files.create(file=(path.name, f), purpose="fine-tune",
                                                 extra_headers=self._auth)
        return self._retried(lambda: send().model_dump())

    def _call(self, method: str, path: str, body=None, query=None, headers=None) -> dict:
        options = {"options": {"params": query or {}, "headers": {**self._auth, **(headers or {})}},
                   "cast_to": object}
        if method == "get":
            return self._retried(lambda: self._openai.get(path, **options))
        return self._retried(lambda: self._openai.post(path, body=body, **options))

    def _retried(self, call):
        import openai

        from warmreg.backends.openai import backoff_delay, retry_after

        c = self.config
        for attempt in range(c.max_retries + 1):
            try:
                return call()
            except openai.APIStatusError as exc:
                if exc.status_code != 429 and exc.status_code < 500 or attempt == c.max_retries:
                    raise WarmregError(scrub(
                        f"{c.base_url}: fine-tuning API answered HTTP {exc.status_code}: "
                        f"{exc.message}")) from None
                delay = retry_after(exc.response.headers.get("Retry-After"))
            except openai.APIConnectionError as exc:
                if attempt == c.max_retries:
                    raise WarmregError(scrub(f"{c.base_url}: {exc.__cause__ or exc}")) from None
                delay = None
            wait = delay if delay is not None else backoff_delay(c.backoff_s, c.max_backoff_s, attempt)
            log.info("fine-tuning API: retry %d/%d in %.2fs", attempt + 1, c.max_retries, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")
