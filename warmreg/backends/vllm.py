"""``vllm``: generate with vLLM, the base model and every LoRA variant on one engine.

Two modes, one config:

- ``mode: offline`` runs ``vllm.LLM`` in this process with LoRA enabled
  (``tensor_parallel_size``, ``dtype``, ``gpu_memory_utilization``, ``max_lora_rank`` from
  the recipe); each LoRA variant is one ``LoRARequest`` (a stable integer id per adapter
  directory), the base model none. Conversations go to ``LLM.chat`` ``chunk_size`` at a
  time, and each chunk's replies are yielded before the next starts, so the store commits
  them and a kill loses at most one chunk.
- ``mode: serve`` starts ``vllm serve BASE --enable-lora`` (``command`` and the same
  settings as flags) on 127.0.0.1, waits for ``GET /health``, loads each variant's adapter
  at run time (``POST /v1/load_lora_adapter``; the server needs
  ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``, which warmreg sets), generates through the
  :mod:`~warmreg.backends.openai` client (retries, back-off, fail-fast), unloads the
  previous adapter (``/v1/unload_lora_adapter``) and stops the server when the base model
  changes or the process exits. ``base_url`` instead points at a server someone else runs.

vLLM is an optional extra (``pip install 'warmreg[vllm]'``, on a CUDA machine) imported
only when generation starts; without it (offline) or without the ``command`` (serve), a
recipe naming this backend fails at ``warmreg validate`` with that instruction.
:func:`warmreg.config.engine_checks` turns the check off for ``warmreg plan`` and
``warmreg validate --no-engines`` (checking a recipe on a machine that will not run it).
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import json
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Literal, Sequence

from warmreg import models
from warmreg.api import Generation, GenerationParams, Message, ModelVariant, content_hash
from warmreg.config import engine_checks
from warmreg.errors import WarmregError

log = logging.getLogger(__name__)

INSTALL = "pip install 'warmreg[vllm]' on a machine with a CUDA GPU"


@dataclass(frozen=True)
class Config:
    """Settings of the ``vllm`` backend (the recipe's ``backend`` section)."""

    # "offline": vllm.LLM in this process; "serve": a managed `vllm serve` (or base_url's).
    mode: Literal["offline", "serve"] = "offline"
    # GPUs one model is split over (tensor parallelism); size it per model.
    tensor_parallel_size: int = field(default=1, metadata={"min": 1, "max": 64})
    # Weights dtype; "auto" is the checkpoint's (bf16 for the study's models).
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    # Share of each GPU's memory vLLM may take (weights + KV cache).
    gpu_memory_utilization: float = field(default=0.9, metadata={"min": 0, "min_exclusive": True, "max": 1})
    # Largest LoRA rank any variant uses (the study's r is 8).
    max_lora_rank: int = field(default=16, metadata={"min": 1, "max": 512})
    # Adapters resident at once.
    max_loras: int = field(default=2, metadata={"min": 1, "max": 256})
    # Sequences decoded together (vLLM's max_num_seqs): the batch the KV cache is sized for.
    max_num_seqs: int = field(default=256, metadata={"min": 1, "max": 65536})
    # Context length; None = the model's.
    max_model_len: int | None = field(default=None, metadata={"min": 1})
    # Conversations per chunk; each chunk is stored before the next (a kill loses one).
    chunk_size: int = field(default=512, metadata={"min": 1})
    # serve: the command that starts the server; the model and flags are appended.
    command: tuple[str, ...] = ("vllm", "serve")
    # serve: port on 127.0.0.1; 0 picks a free one.
    port: int = field(default=0, metadata={"min": 0, "max": 65535})
    # serve: seconds to wait for /health after the start (large models load for minutes).
    startup_timeout_s: float = field(default=1800.0, metadata={"min": 0, "min_exclusive": True})
    # serve: extra command-line flags, e.g. ["--enable-prefix-caching"].
    extra_args: tuple[str, ...] = ()
    # serve: an already-running server's root (http://host:8000/v1); nothing is started.
    base_url: str | None = field(default=None, metadata={"url": True})
    # serve: requests in flight and retries, as the openai backend's.
    concurrency: int = field(default=64, metadata={"min": 1, "max": 4096})
    max_retries: int = field(default=6, metadata={"min": 0, "max": 100})
    timeout_s: float = field(default=600.0, metadata={"min": 0, "min_exclusive": True})

    def __post_init__(self):
        object.__setattr__(self, "command", tuple(self.command))
        object.__setattr__(self, "extra_args", tuple(self.extra_args))
        if not self.command:
            raise ValueError("command must name the program that starts the server")
        if engine_checks():
            problem = missing_engine(self)
            if problem:
                raise ValueError(problem)


def missing_engine(config: Config) -> str | None:
    """Why this machine cannot run ``config``, or None when it can."""
    if config.mode == "offline" and importlib.util.find_spec("vllm") is None:
        return f"the vllm backend needs vLLM, which is not installed: {INSTALL}"
    if config.mode == "serve" and config.base_url is None and shutil.which(config.command[0]) is None:
        return (f"the vllm backend starts {' '.join(config.command)!r}, but "
                f"{config.command[0]!r} is not on PATH: {INSTALL}, or set base_url")
    return None


class VLLMBackend:
    """Generation on vLLM with one LoRA adapter per variant; see the module docstring."""

    Config = Config

    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self._engine: Any = None  # _Offline or _Server, for one base model
        self._base: str | None = None

    def fingerprint(self) -> str:
        """Hash of what changes outputs: the engine and its numerics (not its batch size)."""
        c = self.config
        return content_hash("vllm", c.dtype, c.tensor_parallel_size, c.max_model_len)

    def generate(self, variant: ModelVariant, conversations: Sequence[Sequence[Message]],
                 params: GenerationParams) -> Iterator[tuple[int, Generation]]:
        """Yield ``(index, Generation)`` chunk by chunk, each reply as its chunk completes."""
        if variant.weights and variant.weights_kind not in ("", "lora"):
            raise WarmregError(f"variant {variant.variant!r}: the vllm backend serves LoRA "
                               f"adapters on the base model, not {variant.weights_kind!r} weights")
        engine = self._for(models.resolve(variant.model.path))
        size = self.config.chunk_size
        for start in range(0, len(conversations), size):
            chunk = conversations[start:start + size]
            for j, generation in engine.generate(variant, chunk, params):
                yield start + j, generation

    def release(self) -> None:
        """Stop the engine (a server process, or the in-process LLM)."""
        if self._engine is not None:
            self._engine.close()
        self._engine = self._base = None

    def _for(self, base: str):
        if self._base != base:
            self.release()
            cls = _Server if self.config.mode == "serve" else _Offline
            self._engine, self._base = cls(self.config, base), base
        return self._engine


def adapter_name(variant: ModelVariant) -> str:
    """The name a variant's adapter is served under: unique per adapter directory."""
    return f"{variant.variant}-{content_hash(str(variant.weights))[:8]}"


class _Offline:
    """``vllm.LLM`` in this process."""

    def __init__(self, config: Config, base: str):
        from vllm import LLM  # the optional extra

        self.config = config
        self._ids: dict[str, int] = {}
        self.llm = LLM(model=base, enable_lora=True, max_lora_rank=config.max_lora_rank,
                       max_loras=config.max_loras, tensor_parallel_size=config.tensor_parallel_size,
                       dtype=config.dtype, gpu_memory_utilization=config.gpu_memory_utilization,
                       max_num_seqs=config.max_num_seqs, max_model_len=config.max_model_len)

    def lora_request(self, variant: ModelVariant):
        """One ``LoRARequest`` per adapter directory (stable id), None for the base model."""
        if not variant.weights:
            return None
        from vllm.lora.request import LoRARequest

        lora_id = self._ids.setdefault(str(variant.weights), len(self._ids) + 1)
        return LoRARequest(adapter_name(variant), lora_id, str(variant.weights))

    def generate(self, variant, conversations, params: GenerationParams):
        from vllm import SamplingParams

        sampling = SamplingParams(**sampling_args(params))
        outputs = self.llm.chat([[dict(m) for m in c] for c in conversations], sampling,
                                lora_request=self.lora_request(variant), use_tqdm=False)
        for j, out in enumerate(outputs):
            yield j, to_generation(out)

    def close(self) -> None:
        del self.llm
        import gc

        gc.collect()


def sampling_args(params: GenerationParams) -> dict:
    """``vllm.SamplingParams`` keywords for warmreg's decoding settings."""
    return {"max_tokens": params.max_new_tokens, "temperature": params.temperature,
            "top_p": params.top_p, "seed": params.seed}


def to_generation(output) -> Generation:
    """A Generation from a ``vllm.RequestOutput``."""
    completion = output.outputs[0]
    return Generation(text=completion.text, n_prompt_tokens=len(output.prompt_token_ids or ()),
                      n_new_tokens=len(completion.token_ids),
                      finish_reason="length" if completion.finish_reason == "length" else "stop")


class _Server:
    """A managed ``vllm serve`` (or ``base_url``'s server) with adapters loaded at run time."""

    def __init__(self, config: Config, base: str):
        from warmreg.backends.openai import Config as OpenAIConfig
        from warmreg.backends.openai import OpenAIBackend

        self.config, self.base, self.process = config, base, None
        self.url = config.base_url.rstrip("/") if config.base_url else self._start()
        self.client = OpenAIBackend(OpenAIConfig(
            base_url=self.url, api_key_env="VLLM_API_KEY", concurrency=config.concurrency,
            max_retries=config.max_retries, timeout_s=config.timeout_s))
        self.loaded: str | None = None

    def generate(self, variant: ModelVariant, conversations, params):
        name = self._use(variant)
        served = replace(variant, weights=None, model=replace(variant.model, path=name))
        yield from self.client.generate(served, conversations, params)

    def _use(self, variant: ModelVariant) -> str:
        """The served name of the variant, its adapter loaded and the previous one unloaded."""
        if not variant.weights:
            return self.base
        name = adapter_name(variant)
        if self.loaded != name:
            if self.loaded:
                self._post("/unload_lora_adapter", {"lora_name": self.loaded}, ok_missing=True)
            self._post("/load_lora_adapter", {"lora_name": name, "lora_path": str(variant.weights)})
            self.loaded = name
        return name

    def command(self, port: int) -> list[str]:
        """The server's command line."""
        c = self.config
        args = [*c.command, self.base, "--host", "127.0.0.1", "--port", str(port),
                "--enable-lora", "--max-lora-rank", str(c.max_lora_rank),
                "--max-loras", str(c.max_loras), "--tensor-parallel-size", str(c.tensor_parallel_size),
                "--dtype", c.dtype, "--gpu-memory-utilization", str(c.gpu_memory_utilization),
                "--max-num-seqs", str(c.max_num_seqs)]
        if c.max_model_len:
            args += ["--max-model-len", str(c.max_model_len)]
        return args + list(c.extra_args)

    def _start(self) -> str:
        port = self.config.port or _free_port()
        env = {**os.environ, "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"}
        log.info("starting %s", " ".join(self.command(port)))
        self.process = subprocess.Popen(self.command(port), env=env, stdin=subprocess.DEVNULL)
        atexit.register(self.close)
        root = f"http://127.0.0.1:{port}"
        self._wait_healthy(root)
        return root + "/v1"

    def _wait_healthy(self, root: str) -> None:
        deadline = time.monotonic() + self.config.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise WarmregError(f"{' '.join(self.config.command)} exited with status "
                                   f"{self.process.returncode} before it was healthy")
            try:
                with urllib.request.urlopen(root + "/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        self.close()
        raise WarmregError(f"vllm serve on {root} not healthy after "
                           f"{self.config.startup_timeout_s:g}s")

    def _post(self, path: str, body: dict, ok_missing: bool = False) -> None:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s):
                return
        except urllib.error.HTTPError as exc:
            if ok_missing and exc.code == 404:
                return
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise WarmregError(f"{self.url}{path} answered HTTP {exc.code}: {detail}") from None

    def close(self) -> None:
        """Stop the server warmreg started (SIGTERM, then SIGKILL after 30 s)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
