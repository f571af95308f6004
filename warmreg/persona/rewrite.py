"""Build a warm/cold persona set from any conversation dataset with any LLM backend.

Pipeline, as in the study's data step: read conversations (ShareGPT or messages
format), filter and truncate them, classify each by rules, sample balanced across
types, then rewrite every assistant turn warm and cold through a ``warmreg.backends``
plugin at temperature 0. Each finished conversation is appended to
``<out_dir>/conversations.jsonl`` (the bundled set's schema plus its ``key``) and made
durable at once; a re-run skips the keys already there, so a killed run loses nothing
it wrote. ``<out_dir>/stats.json`` summarises the result.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from warmreg.api import Backend, GenerationParams, ModelSpec, ModelVariant, content_hash
from warmreg.persona.classify import balanced_sample, classify
from warmreg.files import write_json_atomic
from warmreg.persona.output import ResumableJsonl, persona_stats
from warmreg.persona.prompts import clean_output, prompt_version, rewrite_request
from warmreg.persona.sources import load_conversations
from warmreg.progress import Progress

KEY_VERSION = "warmreg-persona-rewrite/1"


@dataclass(frozen=True)
class RewriteConfig:
    """Settings of one rewrite run (recorded in ``stats.json``)."""

    source: str  # hub dataset id, dataset directory, or local .json/.jsonl file
    model: str  # rewriter model: hub id, local path or served model name
    backend: str = "openai"  # warmreg.backends plugin that runs the rewriter
    backend_config: dict[str, Any] = field(default_factory=dict)  # that plugin's Config
    size: int = 1617  # conversations to sample (the study used 1,617)
    seed: int = 0  # sampling and generation seed
    max_turns: int = 20  # messages kept per conversation (a turn is one message)
    max_chars: int = 12000  # drop conversations longer than this after truncation
    split: str = "train"  # split of a datasets source
    max_new_tokens: int = 1024  # per rewritten turn; a rewrite cut at this length fails
    chunk_size: int = 64  # conversations per backend call (bounds memory, not resume)


@dataclass(frozen=True)
class Job:
    """One sampled conversation to rewrite."""

    key: str
    type: str
    messages: tuple[dict, ...]

    @classmethod
    def make(cls, messages: Sequence[dict], model: str) -> "Job":
        key = content_hash(KEY_VERSION, list(messages), prompt_version(), model)
        return cls(key, classify(messages), tuple(messages))

    def turns(self) -> Iterator[tuple[list[dict], str]]:
        """``(history, reply)`` for each assistant turn."""
        for i, message in enumerate(self.messages):
            if message["role"] == "assistant":
                yield list(self.messages[:i]), message["content"]

    def row(self, warm: Sequence[str], cold: Sequence[str]) -> dict:
        """The output line: the bundled set's schema plus ``key``."""
        return {"id": f"{self.type}-{self.key[:12]}", "type": self.type,
                "messages": [dict(m) for m in self.messages], "warm": list(warm),
                "cold": list(cold), "key": self.key}


def select(config: RewriteConfig) -> list[Job]:
    """Read, filter, truncate, classify, de-duplicate and sample the source."""
    jobs: dict[str, Job] = {}
    for messages in load_conversations(config.source, max_turns=config.max_turns,
                                       max_chars=config.max_chars, split=config.split):
        job = Job.make(messages, config.model)
        jobs.setdefault(job.key, job)
    return balanced_sample(list(jobs.values()), config.size, config.seed)


def make_backend(backend: str | Backend, backend_config: Mapping[str, Any] | None) -> Backend:
    """Instantiate a backend plugin by name (an instance is returned as is)."""
    if not isinstance(backend, str):
        return backend
    from warmreg import config as config_mod, registry

    cls = registry.load("backends", backend)
    cfg = config_mod.build(cls.Config, backend_config, where=f"rewrite: backend {backend}")
    return cls(cfg)


def _rewrite_chunk(jobs: Sequence[Job], backend: Backend, variant: ModelVariant,
                   params: GenerationParams, store: ResumableJsonl, progress: Progress) -> int:
    """Rewrite every assistant turn of ``jobs``; store each conversation when complete.

    A conversation with a failed rewrite (an error, a cut-off or empty text) is not
    stored, so the next run retries it. Returns the number of such conversations.
    """
    requests, slots = [], []
    for j, job in enumerate(jobs):
        for t, (history, reply) in enumerate(job.turns()):
            for persona in ("warm", "cold"):
                requests.append(rewrite_request(persona, history, reply))
                slots.append((j, persona, t))
    texts = [{"warm": {}, "cold": {}} for _ in jobs]
    pending = [2 * sum(1 for _ in job.turns()) for job in jobs]
    broken: set[int] = set()
    failed = 0
    for index, generation in backend.generate(variant, requests, params):
        j, persona, t = slots[index]
        text = clean_output(generation.text)
        if generation.finish_reason != "stop" or not text:
            broken.add(j)
        texts[j][persona][t] = text
        pending[j] -= 1
        if pending[j] == 0:
            if j in broken:
                failed += 1
            else:
                warm, cold = (texts[j][p] for p in ("warm", "cold"))
                store.append(jobs[j].row([warm[i] for i in sorted(warm)],
                                         [cold[i] for i in sorted(cold)]))
            progress.update()
    return failed


def rewrite(source: str, out_dir: str | Path, *, backend: str | Backend,
            backend_config: Mapping[str, Any] | None = None, model: str, size: int = 1617,
            seed: int = 0, max_turns: int = 20, **options: Any) -> Path:
    """Build a persona set from ``source`` in ``out_dir``; resumes where a run stopped.

    Args:
        source: hub dataset id, dataset directory or local ``.json``/``.jsonl`` file in
            ShareGPT or messages format.
        out_dir: output directory (created); holds ``conversations.jsonl`` and
            ``stats.json``.
        backend: a ``warmreg.backends`` plugin name, or a backend instance.
        backend_config: the plugin's config section (ignored for an instance).
        model: the rewriter model, as the backend addresses it.
        size: conversations to sample, balanced across types.
        seed: sampling and generation seed.
        max_turns: messages kept per conversation.
        **options: further :class:`RewriteConfig` fields (``max_chars``, ``split``,
            ``max_new_tokens``, ``chunk_size``).

    Returns:
        Path of ``conversations.jsonl``.

    Raises:
        ConfigError: an unknown option or wrong type, an unreadable source, or a bad
            backend config.
    """
    from warmreg import config as config_mod

    backend_name = backend if isinstance(backend, str) else type(backend).__name__
    section = dict(source=str(source), model=model, backend=backend_name,
                   backend_config=dict(backend_config or {}), size=size, seed=seed,
                   max_turns=max_turns, **options)
    config = config_mod.build(RewriteConfig, section, where="rewrite")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = select(config)
    with ResumableJsonl(out / "conversations.jsonl") as store:
        todo = [job for job in jobs if job.key not in store]
        _say(f"rewrite: {len(jobs)} conversations selected, {len(jobs) - len(todo)} already "
             f"done, {len(todo)} to do; writing {store.path}")
        failed = _run(config, make_backend(backend, backend_config), todo, store) if todo else 0
        stats = _write_stats(out, config, jobs, store, failed)
    _say(f"rewrite: {stats['conversations']}/{len(jobs)} conversations done"
         f"{f', {failed} failed (re-run to retry)' if failed else ''}; results in {out}")
    return store.path


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _run(config: RewriteConfig, backend: Backend, todo: Sequence[Job],
         store: ResumableJsonl) -> int:
    variant = ModelVariant(model=ModelSpec(name=config.model, path=config.model),
                           variant="original", trainer="original")
    params = GenerationParams(max_new_tokens=config.max_new_tokens, temperature=0.0,
                              seed=config.seed)
    progress = Progress("rewrite", total=len(todo), unit="conversations")
    failed = 0
    for start in range(0, len(todo), config.chunk_size):
        failed += _rewrite_chunk(todo[start:start + config.chunk_size], backend, variant,
                                 params, store, progress)
    return failed


def _redacted(config: dict) -> dict:
    """The config for the record, without credentials a backend config may hold."""
    secret = ("key", "token", "secret", "password")
    backend = {k: ("***" if any(s in k.lower() for s in secret) else v)
               for k, v in config["backend_config"].items()}
    return {**config, "backend_config": backend}


def _write_stats(out: Path, config: RewriteConfig, jobs: Sequence[Job],
                 store: ResumableJsonl, failed: int) -> dict:
    selected = {job.key for job in jobs}
    rows = [row for key, row in store.rows.items() if key in selected]
    stats = persona_stats(rows)
    stats.update(selected=len(jobs), missing=len(jobs) - len(rows), failed=failed,
                 other_rows_in_file=len(store.rows) - len(rows),
                 selected_by_type={t: sum(j.type == t for j in jobs) for t in stats["by_type"]},
                 prompt_version=prompt_version(), key_version=KEY_VERSION,
                 config=_redacted(dataclasses.asdict(config)))
    write_json_atomic(out / "stats.json", stats, indent=2)
    return stats
