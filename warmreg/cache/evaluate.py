"""Generate and judge through the store: only missing work is done, each result saved as it lands.

An endpoint error (a failed generation, a judge whose endpoint failed) is an
ENDPOINT_ERROR verdict in this run's rows and is not stored (:class:`Store` refuses it),
so the next run retries exactly those items.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Mapping, Sequence

from warmreg.api import (ENDPOINT_ERROR, UNPARSEABLE, BatchJudge, Generation, GenerationParams,
                         Item, ModelVariant, Prompt, Verdict, turns_of)
from warmreg.cache.store import Store
from warmreg.keys import content_hash
from warmreg.progress import Progress


def generation_key(variant: ModelVariant, backend_fp: str, messages, params: GenerationParams) -> str:
    """Content key of one generation: model (with persona), backend, conversation, decoding."""
    return content_hash("generation", variant.fingerprint, backend_fp,
                        [dict(m) for m in messages], params.__dict__)


def verdict_key(judge_fp: str, item: Item, text: str) -> str:
    """Content key of one verdict: judge, answer key and reply."""
    return content_hash("verdict", judge_fp, item.to_dict(), text)


def generate(store: Store, backend, variant: ModelVariant, prompts: Sequence[Prompt],
             params_of: Callable[[Prompt], GenerationParams], label: str) -> list[Generation]:
    """A generation for every prompt, from the store or the backend (stored as yielded)."""
    return _generate(store, backend, variant, prompts, [params_of(p) for p in prompts], label)


def _generate(store: Store, backend, variant: ModelVariant, prompts: Sequence[Prompt],
              params: Sequence[GenerationParams], label: str) -> list[Generation]:
    """What :func:`generate` does, with each prompt's decoding settings given."""
    conversations = [variant.conversation(p.messages) for p in prompts]
    keys = [generation_key(variant, backend.fingerprint(), c, g)
            for c, g in zip(conversations, params)]
    found = store.generations(keys)
    todo = [i for i, k in enumerate(keys) if k not in found]
    if todo:
        progress = Progress(f"generate {label}", len(todo))
        for gen_params, indices in _by_params(todo, params).items():
            convs = [conversations[i] for i in indices]
            for j, gen in backend.generate(variant, convs, gen_params):
                i = indices[j]
                store.put_generation(keys[i], gen, {"variant": label, "task": prompts[i].item.task})
                found[keys[i]] = gen
                progress.update()
    missing = Generation("", finish_reason="error", error="the backend returned no generation")
    return [found.get(k, missing) for k in keys]


def converse(store: Store, backend, variant: ModelVariant, prompts: Sequence[Prompt],
             params_of: Callable[[Prompt], GenerationParams],
             plan_of: Callable[[Item], object], label: str) -> list[list[tuple[Prompt, Generation]]]:
    """Every turn of every prompt's conversation: ``[(turn prompt, reply), ...]`` per prompt.

    ``plan_of(item)`` is the item's task; a :class:`~warmreg.api.DependentTask` with
    ``turns > 1`` gets follow-up turns built from the model's own replies. Turn ``t`` of
    all conversations still open is one :func:`generate` call (batched, through the
    store), so a resumed run reads finished turns back and rebuilds their follow-ups from
    the stored replies. A turn prompt's ``messages`` is the conversation that turn
    answers; from the second turn on its ``item`` is the item as the judge sees that turn
    (:meth:`~warmreg.api.Item.in_conversation`). A failed reply ends its conversation:
    the turns after it are failed generations too (ENDPOINT_ERROR, retried next run).
    """
    plans = [plan_of(p.item) for p in prompts]
    wanted = [turns_of(plan) for plan in plans]
    params = [params_of(p) for p in prompts]
    turns: list[list[tuple[Prompt, Generation]]] = [[] for _ in prompts]
    current = list(prompts)
    for turn in range(max(wanted, default=0)):
        open_ = [i for i in range(len(prompts)) if turn < wanted[i]]
        failed = {i for i in open_ if turn and turns[i][-1][1].finish_reason == "error"}
        asked = [i for i in open_ if i not in failed]
        tag = label if max(wanted) == 1 else f"{label} turn {turn + 1}"
        replies = _generate(store, backend, variant, [current[i] for i in asked],
                            [params[i] for i in asked], tag)
        for i, reply in zip(asked, replies):
            turns[i].append((current[i], reply))
        for i in failed:
            turns[i].append((current[i], Generation("", finish_reason="error",
                                                    error="an earlier turn failed")))
        for i in open_:
            if turn + 1 < wanted[i]:
                current[i] = _next_turn(plans[i], prompts[i], current[i], turns[i][-1][1])
    return turns


def _next_turn(plan, first: Prompt, asked: Prompt, reply: Generation) -> Prompt:
    """The prompt of the turn after ``reply``: the conversation plus the follow-up."""
    conversation = [*map(dict, asked.messages), {"role": "assistant", "content": reply.text}]
    text = "" if reply.finish_reason == "error" else plan.follow_up(first.item, conversation)
    messages = (*conversation, {"role": "user", "content": text})
    return replace(asked, item=first.item.in_conversation(messages), messages=messages)


def _by_params(indices: list[int], params: list[GenerationParams]) -> dict:
    groups: dict[GenerationParams, list[int]] = {}
    for i in indices:
        groups.setdefault(params[i], []).append(i)
    return groups


def judge(store: Store, judges: Mapping[str, object], judge_of: Callable[[Item], str],
          prompts: Sequence[Prompt], gens: Sequence[Generation], label: str) -> list[Verdict]:
    """A verdict for every generation, from the store or its task's judge."""
    names = [judge_of(p.item) for p in prompts]
    keys = [verdict_key(judges[n].fingerprint(), p.item, g.text)
            for n, p, g in zip(names, prompts, gens)]
    found = store.verdicts(keys)
    todo = [i for i, k in enumerate(keys) if k not in found]
    if todo:
        progress = Progress(f"judge {label}", len(todo))
        by_judge: dict[str, list[int]] = {}
        for i in todo:
            by_judge.setdefault(names[i], []).append(i)
        for name, indices in by_judge.items():
            for j, verdict in _grade(judges[name], [(prompts[i].item, gens[i]) for i in indices]):
                i = indices[j]
                store.put_verdict(keys[i], verdict)
                found[keys[i]] = verdict
                progress.update()
    missing = Verdict(UNPARSEABLE, "runner", "the judge returned no verdict")
    return [found.get(k, missing) for k in keys]


def _grade(judge_obj, pairs: list[tuple[Item, Generation]]):
    """Yield (index, verdict); a failed generation is an ENDPOINT_ERROR, never judged."""
    failed = {i for i, (_, g) in enumerate(pairs) if g.finish_reason == "error"}
    for i in sorted(failed):
        yield i, Verdict(ENDPOINT_ERROR, "runner", f"generation failed: {pairs[i][1].error}")
    ok = [i for i in range(len(pairs)) if i not in failed]
    texts = [(pairs[i][0], pairs[i][1].text) for i in ok]
    if isinstance(judge_obj, BatchJudge):
        for j, verdict in judge_obj.grade_many(texts):
            yield ok[j], verdict
    else:
        for j, (item, text) in enumerate(texts):
            yield ok[j], judge_obj.grade(item, text)


def with_max_tokens(params: GenerationParams, max_new_tokens: int | None) -> GenerationParams:
    """``params`` with a task's own generation length, when it sets one."""
    return params if max_new_tokens is None else replace(params, max_new_tokens=max_new_tokens)
