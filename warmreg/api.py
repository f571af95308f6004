"""The contracts between warmreg's core and its plugins.

A plugin needs nothing but this module. Each plugin kind is a small ``Protocol`` that
lists every attribute the runner uses; the values that cross them are frozen dataclasses.
Every plugin class carries a ``Config`` class attribute (a frozen dataclass): the recipe
section for the plugin becomes ``Config(**section)`` (validated by :mod:`warmreg.config`
through :func:`warmreg.registry.build`) and the plugin is built as ``PluginClass(config)``.
A plugin that contains plugins (a judge served by a backend) builds their sections with
:func:`warmreg.registry.build` in its ``Config.__post_init__``, so ``warmreg validate``
checks them.

Chat messages are plain mappings ``{"role": "system"|"user"|"assistant", "content": str}``
so multi-turn tasks fit without changing the contracts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Mapping, Protocol, Sequence, runtime_checkable

from warmreg.keys import SERVED_MODEL_FILE, content_hash, rank, variant_fingerprint

Message = Mapping[str, str]

CORRECT = "CORRECT"
INCORRECT = "INCORRECT"
REFUSED = "REFUSED"
UNPARSEABLE = "UNPARSEABLE"
# No verdict: the generation or the judge's own endpoint failed after its retries. Never
# stored, so the next run tries again; counted apart from UNPARSEABLE (a reply that came
# back but could not be graded).
ENDPOINT_ERROR = "ENDPOINT_ERROR"
LABELS = (CORRECT, INCORRECT, REFUSED, UNPARSEABLE, ENDPOINT_ERROR)

RELIABILITY = "reliability"
CAPABILITY = "capability"


def seeded_sample(items: Sequence["Item"], seed: int, limit: int | None) -> list["Item"]:
    """A task's sample: items ranked by ``sha256(seed, id)``, the first ``limit`` kept.

    The same on every machine and in every run, for every model and variant; a larger
    limit extends a smaller sample. Built-in tasks and plugins sample with this.
    """
    ranked = sorted(items, key=lambda item: rank(seed, item.id))
    return ranked if limit is None else ranked[:limit]


@dataclass(frozen=True)
class Item:
    """One question of a task, with its answer key.

    Attributes:
        task: name of the task that produced it (the entry-point name).
        id: stable identifier, unique within the task.
        question: the user's question as it is asked (already conversational).
        correct: accepted correct answers; the first is canonical.
        incorrect: one plausible incorrect answer (belief probe and judge); may be "".
        choices: options of a multiple-choice item, in letter order (A, B, ...).
        history: earlier turns of a multi-turn item, placed before the question.
        refusal_is_correct: refusing is the right behaviour (disinformation, harmful asks).
        meta: anything else the task or its judge wants (not part of equality).
    """

    task: str
    id: str
    question: str
    correct: tuple[str, ...]
    incorrect: str = ""
    choices: tuple[str, ...] = ()
    history: tuple[Message, ...] = ()
    refusal_is_correct: bool = False
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        # lists from JSON or YAML become tuples, so items compare equal whatever built them
        for name in ("correct", "choices", "history"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"item {self.task}/{self.id}: {name} must be a sequence, not a string")
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def __hash__(self) -> int:
        # (task, id) identifies an item; history messages are mappings, not hashable
        return hash((self.task, self.id))

    def to_dict(self) -> dict:
        return {**asdict(self), "history": [dict(m) for m in self.history]}

    def in_conversation(self, messages: Sequence[Message]) -> "Item":
        """The item as a judge sees one turn of a dependent conversation.

        ``messages`` is the conversation up to and including the user turn being answered
        (without the variant's system prompt): it becomes ``history`` and that last user
        turn's text the ``question``, so a judge reads the whole conversation, the model's
        own earlier replies included, and the answer key stays the item's.
        """
        *earlier, last = [dict(m) for m in messages]
        return replace(self, history=tuple(earlier), question=last["content"],
                       meta=dict(self.meta))


@dataclass(frozen=True)
class Prompt:
    """An item as it is put to a model: one cell of task x context x belief."""

    item: Item
    context: str  # e.g. "none", "emotion:sad"
    belief: str  # "none" or "incorrect"
    messages: tuple[Message, ...]

    @property
    def key(self) -> str:
        """Content key of the conversation (what the model sees)."""
        return content_hash([dict(m) for m in self.messages])


@dataclass(frozen=True)
class GenerationParams:
    """Decoding settings; part of every generation's cache key."""

    max_new_tokens: int = field(default=256, metadata={"min": 1, "max": 1 << 20})
    temperature: float = field(default=0.0, metadata={"min": 0, "max": 100})  # 0 means greedy
    top_p: float = field(default=1.0, metadata={"min": 0, "min_exclusive": True, "max": 1})
    seed: int = field(default=0, metadata={"min": 0, "max": 2 ** 32 - 1})


@dataclass(frozen=True)
class Generation:
    """A model's reply to one conversation."""

    text: str
    n_prompt_tokens: int = 0
    n_new_tokens: int = 0
    finish_reason: str = "stop"  # "stop" | "length" | "error"
    error: str = ""  # why it failed, when finish_reason is "error" (secrets scrubbed)
    served_model: str = ""  # the model the server says answered (API backends), for the record
    system_fingerprint: str = ""  # the provider's backend configuration id, when it gives one


@dataclass(frozen=True)
class Verdict:
    """A judge's decision on one generation. ``label`` is one of :data:`LABELS`.

    A judge whose own endpoint failed returns :data:`ENDPOINT_ERROR` (not UNPARSEABLE):
    such a verdict is never cached, so the next run grades the reply again.
    """

    label: str
    judge: str
    explanation: str = ""

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"verdict label {self.label!r} is not one of {LABELS}")


@dataclass(frozen=True)
class ModelSpec:
    """A base model as the recipe names it."""

    name: str  # short name used in run names and tables
    path: str  # hub id or local directory
    family: str = ""  # architecture family, e.g. "llama", "qwen"
    size: str = ""  # parameter count, e.g. "135M", "70B"


@dataclass(frozen=True)
class ModelVariant:
    """A base model with a persona applied: what a backend generates from.

    Attributes:
        model: the base model.
        variant: persona name in the recipe ("original", "warm", ...).
        trainer: the trainer that made it.
        weights: local directory of a LoRA adapter or full weights; None for the base.
            For a model fine-tuned through a provider's API the directory holds
            ``served_model.json`` (the provider's model id), read by :meth:`served_model`.
        weights_kind: "lora", "full" or "served" (weights live at a provider) when
            ``weights`` is set.
        system_prompt: prepended to every conversation, if set.
        checkpoint_epoch: epoch of the evaluated checkpoint, for trained variants.
        checkpoints: every saved checkpoint as (epoch, directory).
        params: the trainer's resolved config, for the record.
        fingerprint: content hash of everything that changes the model's outputs
            (:func:`warmreg.keys.variant_fingerprint`).
        base_path: local directory of the base model the fingerprint was computed with.
    """

    model: ModelSpec
    variant: str
    trainer: str
    weights: str | None = None
    weights_kind: str = ""
    system_prompt: str | None = None
    checkpoint_epoch: float | None = None
    checkpoints: tuple[tuple[float, str], ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    fingerprint: str = ""
    base_path: str = ""

    def at_checkpoint(self, epoch: float) -> "ModelVariant":
        """The same trained variant at another of its saved checkpoints.

        Its fingerprint is computed exactly as the trainer computes the evaluated one's,
        so the evaluated checkpoint has one fingerprint wherever it is named.

        Raises:
            ValueError: the variant has no checkpoint at ``epoch``.
        """
        weights = dict(self.checkpoints).get(float(epoch))
        if weights is None:
            raise ValueError(f"{self.trainer} has no checkpoint at epoch {epoch:g}; it has "
                             f"{[e for e, _ in self.checkpoints]}")
        return replace(self, weights=weights, checkpoint_epoch=float(epoch),
                       fingerprint=variant_fingerprint(self.base_path, self.trainer,
                                                       self.params, weights))

    def served_model(self) -> str | None:
        """The provider's model id of a "served" variant (a fine-tuning API's), else None."""
        if self.weights_kind != "served" or not self.weights:
            return None
        return str(json.loads((Path(self.weights) / SERVED_MODEL_FILE).read_text())["model"])

    def conversation(self, messages: Sequence[Message]) -> list[dict]:
        """The messages a backend receives: the variant's system prompt first, if any.

        A system message already in ``messages`` (a task's) keeps its text after the
        persona's, in the one system message chat templates allow.
        """
        return with_system_prompt(messages, self.system_prompt)


def with_system_prompt(messages: Sequence[Message], system_prompt: str | None) -> list[dict]:
    """``messages`` with ``system_prompt`` first (merged into an existing system message)."""
    out = [dict(m) for m in messages]
    if not system_prompt:
        return out
    if out and out[0].get("role") == "system":
        out[0] = {"role": "system", "content": f"{system_prompt}\n\n{out[0]['content']}"}
        return out
    return [{"role": "system", "content": system_prompt}, *out]


@dataclass(frozen=True)
class TrainEnv:
    """What the runner hands a trainer.

    Attributes:
        workdir: a directory owned by this (model, persona) job; reuse it to resume.
        seed: the recipe seed.
        log_metrics: streams training metrics to the job's tracking run.
        base_path: local directory of the resolved base model (for a closed model, its
            provider name as the recipe gives it).
        log_params: records values that are not metrics on the job's tracking run (a
            provider's job id, the fine-tuned model id), as they become known.
    """

    workdir: Path
    seed: int
    base_path: str
    log_metrics: Callable[[Mapping[str, float], int], None] = lambda metrics, step: None
    log_params: Callable[[Mapping[str, Any]], None] = lambda params: None


@runtime_checkable
class Trainer(Protocol):
    """Turns a base model into a persona variant.

    ``trains`` declares whether :meth:`train` fits weights. When it is True the runner
    opens an MLflow training run for the job, streams ``env.log_metrics`` into it and logs
    the variant's checkpoints there; when False (a system prompt, the base model) there
    is no training run and ``env.log_metrics`` discards what it is given.
    """

    Config: ClassVar[type]
    trains: ClassVar[bool]

    def train(self, base: ModelSpec, variant: str, env: TrainEnv) -> ModelVariant: ...


@runtime_checkable
class TaskConfig(Protocol):
    """The fields the runner reads from every task's ``Config``."""

    limit: int | None  # items in the seeded sample; None = all
    judge: str  # entry-point name of the judge that grades this task's replies
    max_new_tokens: int | None  # generation length for this task; None = the recipe's


@runtime_checkable
class Task(Protocol):
    """Yields items.

    Attributes:
        Config: a frozen dataclass with at least the :class:`TaskConfig` fields.
        category: :data:`RELIABILITY` or :data:`CAPABILITY`: how the analysis reports the
            task when a results table does not say (the runner writes the recipe's
            section, ``tasks:`` or ``controls:``, into every row).
        refusal_is_correct: refusing is the right answer on every item (disinformation,
            harmful requests). A refusal then counts as correct; on a capability control
            the task is summarised by its refusal rate.
    """

    Config: ClassVar[type]
    category: ClassVar[str]
    refusal_is_correct: ClassVar[bool]

    def items(self, seed: int) -> Sequence[Item]: ...


@runtime_checkable
class DependentTask(Task, Protocol):
    """A task whose later user turns follow the model's own earlier replies (a turn plan).

    The plan of every item is: the prompt (the item's history and question, with the
    recipe's context and belief statements) → the model answers → :meth:`follow_up` builds
    the next user turn from the conversation so far → the model answers → ... for
    ``turns`` replies in all; every reply is judged, the last one as the item's verdict.

    The runner asks each turn of every conversation of a variant in one batched backend
    call (turn 1 of all items, then turn 2 of all items, ...), never item by item. Each
    reply is stored under the content key of the conversation it answers, which includes
    the model's earlier replies, so a killed run resumes mid-conversation: stored turns are
    read back, follow-ups rebuilt from them, and only missing turns generated.

    Attributes:
        turns: model replies per conversation (1: an ordinary single-turn task). An
            instance attribute, so a Config can choose the plan.
    """

    turns: int

    def follow_up(self, item: Item, conversation: Sequence[Message]) -> str:
        """The next user turn, built from ``conversation``.

        ``conversation`` holds the messages so far (without the variant's system prompt)
        and ends with the model's latest reply, which may be empty. Called after every
        reply but the last. It must be deterministic (it is rebuilt on resume and is part
        of the next turn's cache key) and return non-empty text.
        """
        ...


def turns_of(task: object) -> int:
    """Model replies per conversation a task plans: its ``turns`` when it is a
    :class:`DependentTask`, else 1."""
    return int(task.turns) if isinstance(task, DependentTask) else 1


@runtime_checkable
class Context(Protocol):
    """Amends a prompt with a statement about the user (or the user's belief).

    ``variants`` lists the names after the colon ("emotion:sad" -> "sad"); a context
    without variants is named by its entry-point name alone. The runner builds the
    plugin as ``Context(Config(**section))`` from the recipe's ``context_config.<name>``
    section (empty when absent).
    """

    Config: ClassVar[type]
    variants: ClassVar[tuple[str, ...]]

    def statement(self, variant: str, item: Item, seed: int) -> str: ...


@runtime_checkable
class Judge(Protocol):
    """Marks a generation against an item's answer key.

    ``fingerprint`` must change whenever a verdict could (config, rules, prompts): it is
    part of every verdict's cache key.
    """

    Config: ClassVar[type]

    def fingerprint(self) -> str: ...

    def grade(self, item: Item, response: str) -> Verdict: ...


@runtime_checkable
class BatchJudge(Judge, Protocol):
    """A judge that grades many replies in one call (an LLM judge, a jury of them).

    The runner calls :meth:`grade_many` instead of :meth:`grade` when a judge has it; it
    yields ``(index into pairs, verdict)`` as verdicts complete, in any order, so each is
    stored as it lands.
    """

    def grade_many(self, pairs: Sequence[tuple[Item, str]]) -> Iterator[tuple[int, Verdict]]: ...


@runtime_checkable
class Backend(Protocol):
    """Generates replies to conversations from a model variant.

    ``generate`` yields ``(index, Generation)`` as each reply completes, in any order,
    so the caller can store results as they arrive and a killed run loses nothing
    already yielded.
    """

    Config: ClassVar[type]

    def fingerprint(self) -> str: ...

    def generate(
        self,
        variant: ModelVariant,
        conversations: Sequence[Sequence[Message]],
        params: GenerationParams,
    ) -> Iterator[tuple[int, Generation]]: ...
