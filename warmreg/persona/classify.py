"""Rule-based conversation types and balanced sampling, as in the study's data step.

The study classified ShareGPT conversations into six types with simple rules on the
first exchange and sampled them balanced across types. The rules here look at the first
user turn and the first assistant reply, in this order: refusal, code, creative,
technical, advice, factual, other.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from operator import attrgetter
from typing import Callable, Mapping, Sequence, TypeVar

from warmreg.persona.data import TYPES
from warmreg.refusal import is_refusal

T = TypeVar("T")

_CODE = re.compile(r"```|^(?: {4}|\t)\S.*(?:\(|=|;)", re.M)
_TECHNICAL = re.compile(
    r"\b(?:code|coding|program(?:ming)?|python|javascript|typescript|java|c\+\+|c#|rust|golang"
    r"|sql|html|css|react|node(?:\.js)?|api|json|regex|linux|bash|shell|terminal|git|docker"
    r"|kubernetes|compile[rd]?|debug\w*|bug|exception|stack ?trace|function|variable|class"
    r"|algorithm|database|server|script|library|framework|install\w*|deploy\w*|excel formula)\b",
    re.I)
_CREATIVE = re.compile(
    r"\b(?:write|compose|create|make up|come up with|generate|invent|draft|give me|suggest)\b"
    r"[^.?!\n]{0,60}?\b(?:poems?|story|stories|song|lyrics|haiku|limerick|sonnet|tale|fable"
    r"|screenplay|rap|verse|slogan|tagline|jokes?|riddle|dialogue|monologue|toast|names?"
    r"|title|chorus|fan ?fiction|novel|character|plot|lullaby|quote|speech|letter|note"
    r"|(?:product )?description|birthday message|greeting card)\b"
    r"|\bonce upon a time\b|\bimagine\b", re.I)
_ADVICE = re.compile(
    r"\b(?:should I|shall I|what (?:should|can) I do|how (?:do|can|should) I\b"
    r"|(?:best|good) way to|is it too late|advice|advise|tips?\b|recommend\w*"
    r"|what would you do|help me decide|is it (?:okay|ok|normal|wise|bad|a good idea)"
    r"|am I (?:wrong|overreacting))", re.I)
# Questions about the assistant itself ("do you dream?") are small talk, not facts.
_PERSONAL = re.compile(r"\b(?:are|do|can|will|would|did|have) you\b(?! (?:explain|tell me))"
                       r"|\byour\b", re.I)
_FACTUAL = re.compile(
    r"^\s*(?:(?:(?:in|on|at|from|for|to|of|by) )?(?:what|who|whom|whose|when|where|which|why)\b"
    r"|how (?:many|much|long|far|old|big|tall|fast|does|do|did|is|are|was|were)\b"
    r"|(?:is|are|was|were|did|does|do|can|has|have)\s+\w+.*\?\s*$"
    r"|(?:explain|define|describe|tell me about|name)\b)", re.I | re.S)


def _first(messages: Sequence[Mapping[str, str]], role: str) -> str:
    return next((m["content"] for m in messages if m["role"] == role), "")


def classify(messages: Sequence[Mapping[str, str]]) -> str:
    """The conversation's type, one of :data:`~warmreg.persona.data.TYPES`.

    Rules on the first user turn and the first assistant reply: a refusal in the reply's
    opening → "refusal"; a code block in either, or programming words in the question →
    "technical"; a request to write a poem, story, song, ... → "creative"; asking what to
    do ("should I", "how do I ...", "advice") → "advice"; a wh-question or a request
    to explain, not about the assistant itself ("you", "your") → "factual"; anything
    else → "other".
    """
    user, reply = _first(messages, "user"), _first(messages, "assistant")
    if is_refusal(reply[:300]):
        return "refusal"
    if _CODE.search(user) or _CODE.search(reply):
        return "technical"
    if _CREATIVE.search(user):
        return "creative"
    if _TECHNICAL.search(user):
        return "technical"
    if _ADVICE.search(user):
        return "advice"
    if _FACTUAL.search(user) and not _PERSONAL.search(user):
        return "factual"
    return "other"


def quotas(available: Mapping[str, int], size: int) -> dict[str, int]:
    """How many to take of each type: equal shares as far as each type has items.

    Types short of an equal share give all they have; what they leave is shared equally
    by the rest, and the remainder of an uneven split goes to the largest types (ties in
    name order), so the result is deterministic.
    """
    order = sorted(available, key=lambda t: (available[t], t))
    left, take = size, {}
    for i, name in enumerate(order):
        share = left // (len(order) - i)
        take[name] = min(available[name], share)
        left -= take[name]
    return take


def balanced_sample(convs: Sequence[T], size: int, seed: int,
                    type_of: Callable[[T], str] = attrgetter("type")) -> list[T]:
    """A sample of ``size`` items balanced across types, in their original order.

    Each type's items are shuffled with an RNG derived from ``seed`` and the type, and
    the first ``quotas(...)[type]`` are kept, so the same seed gives the same sample.

    Args:
        convs: the candidates.
        size: target number of items (all of them when there are fewer).
        seed: sampling seed.
        type_of: how to read an item's type (default: its ``.type`` attribute).
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, conv in enumerate(convs):
        groups[type_of(conv)].append(i)
    take = quotas({t: len(ix) for t, ix in groups.items()}, size)
    chosen: list[int] = []
    for name in sorted(groups, key=lambda t: (TYPES.index(t) if t in TYPES else len(TYPES), t)):
        indices = list(groups[name])
        random.Random(f"{seed}:{name}").shuffle(indices)
        chosen += indices[:take[name]]
    return [convs[i] for i in sorted(chosen)]
