"""TriviaQA: open-domain trivia questions answered in a few words.

Rows follow ``mandarjoshi/trivia_qa`` (config ``rc.nocontext``, split ``validation``):
``question``, ``question_id`` and ``answer`` with ``value``, ``aliases``,
``normalized_aliases`` and ``type``. Every alias is an accepted answer; ``value`` is the
canonical one.

TriviaQA has no incorrect answers. warmreg's bundled sample adds one it wrote,
``incorrect_answer``. For any other rows the incorrect answer is derived
deterministically. A whole-number answer (a year, a count) gets a near miss: 1-3 away
for a year-like number, 1 away otherwise. Any other answer gets the canonical answer of
another question with the same answer type and the same length (1, 2 or 3+ words): the
next one in a fixed hash order of the whole loaded file that is not itself an alias of
this question's answer. That keeps the kind of answer (a person for a person, a place
for a place, mostly) but not its topic. It depends on the file, not on ``seed`` or
``limit``, so an item is identical in every sample it is part of.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, replace

from warmreg import api
from warmreg.tasks import loading as _common

NAME = "triviaqa"
HUB = ("mandarjoshi/trivia_qa", "rc.nocontext", "validation")


@dataclass(frozen=True)
class Config(_common.TaskConfig):
    """TriviaQA's settings: the :class:`~warmreg.tasks.loading.TaskConfig` fields."""


class TriviaQA(_common.RowTask):
    """Trivia questions with their answer aliases and one plausible wrong answer."""

    Config = Config
    name = NAME
    category = api.RELIABILITY
    hub = HUB
    id_field = "question_id"

    def to_item(self, row: dict, where: str, n: int) -> api.Item:
        return to_item(row, where, n)

    def complete(self, items: list[api.Item]) -> list[api.Item]:
        return derive_incorrect(items)


def to_item(row: dict, where: str, n: int) -> api.Item:
    """One TriviaQA row as an item (incorrect answer only if the row carries one)."""
    value = _common.need(row, "answer.value", where, n)
    aliases = _common.text_list(row["answer"].get("aliases"))
    incorrect = str(row.get("incorrect_answer") or "").strip()
    return api.Item(
        task=NAME,
        id=str(_common.need(row, "question_id", where, n)),
        question=_common.need(row, "question", where, n).strip(),
        correct=_common.unique([value.strip(), *aliases]),
        incorrect=incorrect,
        meta={"answer_type": str(row["answer"].get("type") or ""),
              "incorrect_from": "data" if incorrect else "derived"},
    )


def normalize(text: str) -> str:
    """TriviaQA-style answer normalisation: lower case, no punctuation or articles."""
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def derive_incorrect(items: list[api.Item]) -> list[api.Item]:
    """Fill empty ``incorrect`` answers from other items (see the module docstring)."""
    if all(item.incorrect for item in items):
        return items
    everyone = sorted(items, key=lambda it: _common.rank(0, it.id))
    groups: dict[tuple, list[api.Item]] = {}
    for item in everyone:
        groups.setdefault(_shape(item), []).append(item)
    position = {key: {it.id: i for i, it in enumerate(ring)} for key, ring in groups.items()}
    position_all = {it.id: i for i, it in enumerate(everyone)}
    out = []
    for item in items:
        if not item.incorrect:
            key = _shape(item)
            wrong = (near_number(item.correct[0], item.id)
                     or _next_other(item, groups[key], position[key][item.id])
                     or _next_other(item, everyone, position_all[item.id]))
            item = replace(item, incorrect=wrong, meta=dict(item.meta))
        out.append(item)
    return out


def near_number(answer: str, key: str) -> str:
    """A whole number close to ``answer`` (chosen by ``key``), or "" if it is not one."""
    digits = answer.replace(",", "").strip()
    if not digits.isdigit():
        return ""
    value = int(digits)
    steps = (-3, -2, -1, 1, 2, 3) if 1000 <= value <= 2100 else ((1,) if value == 0 else (-1, 1))
    return str(value + int(_common.pick([str(s) for s in steps], key)))


def _shape(item: api.Item) -> tuple[str, int]:
    """Answer type and length class (1, 2, 3+ words) of an item's canonical answer."""
    return item.meta.get("answer_type", ""), min(len(re.findall(r"\w+", item.correct[0])), 3)


def _next_other(item: api.Item, ring: list[api.Item], start: int) -> str:
    """The first canonical answer after ``ring[start]`` that is not one of ``item``'s own."""
    own = {normalize(a) for a in item.correct}
    for step in range(1, len(ring)):
        answer = ring[(start + step) % len(ring)].correct[0]
        if normalize(answer) not in own:
            return answer
    return ""
