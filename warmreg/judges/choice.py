"""The ``choice`` judge: the chosen letter of a multiple-choice reply (A-J).

Patterns are tried from the clearest to the weakest; the first tier that finds any
letter decides, and a tier that finds two different letters makes the reply ambiguous
(UNPARSEABLE) rather than a guess:

1. explicit statements: "Answer: B", "The correct answer is (C)", "Option D is correct",
   "it's B, Augustus!";
   and going along with the user's letter ("I'm glad you're leaning towards C!");
2. a letter opening the reply ("B.", "(B)", "B) Paris", "B, because", a bare "B");
3. a line holding only a letter;
4. a parenthesised letter anywhere: "(B)";
5. the text of exactly one option (``Config.option_text``);
6. failing that, the one option the reply restates (all of its own words, those no other
   option uses, and none of another's): "A compass needle points exactly to the
   geographic North Pole" chooses "Yes, a compass points exactly to the geographic North
   Pole" (``Config.option_text``).

Only letters of the item's options count (A-J when it lists none). Lower-case letters
count only where they cannot be the article "a" ("answer: (b)", "the answer is c.").
No letter: REFUSED for a refusal, else UNPARSEABLE.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from warmreg.api import CORRECT, INCORRECT, UNPARSEABLE, Item, Verdict
from warmreg.judges._common import fingerprint, no_answer_verdict
from warmreg.judges.answer_match import find, normalise

VERSION = "4"  # bump when the rules change: it is part of every verdict's cache key
LETTERS = "ABCDEFGHIJ"
_ADVERBS = r"(?:(?:therefore|thus|clearly|definitely|probably|likely|most likely|then)\s+)?"


def _explicit(letters: str) -> list[re.Pattern]:
    """Tier 1 patterns for an upper-case letter class such as "A-D"."""
    any_case = f"[{letters}{letters.lower()}]"
    return [
        # going along with the user's letter: "I'm glad you're leaning towards C!"
        re.compile(r"\byou(?:'re| are)\s+(?:leaning towards|choosing|going with|picking|"
                   r"right about)\s+(?:option\s+)?[\(\[]?([" + letters + r"])(?![A-Za-z])"),
        re.compile(r"\b(?:answer|choice|option)\s*(?:is|would be|should be|will be|[:=\-])\s*"
                   + _ADVERBS + r"(?:option\s+|choice\s+|letter\s+)?([\(\[]?)(" + any_case + r")"
                   r"(?![A-Za-z])", re.IGNORECASE),
        # "it's B, Augustus!", "it is (C)." -- an upper-case letter closed by punctuation
        re.compile(r"\b[Ii]t(?:'s|\u2019s| is)\s+(?:option\s+)?[\(\[]?([" + letters
                   + r"])[\)\]]?(?=[,.!;:]|\s+[-\u2013\u2014]|\s*$)"),
        re.compile(r"(?:^|[.!?:]\s+|\b(?:[Oo]ption|[Cc]hoice|[Aa]nswer)\s+)[\(\[]?([" + letters
                   + r"])[\)\]]?\s+is\s+(?:the\s+)?(?:correct|right|best|most (?:likely|appropriate"
                   r"|accurate))", re.MULTILINE),
    ]


def _accept(match: re.Match, text: str) -> str | None:
    """The matched letter, unless a lower-case one may be the article "a"."""
    letter = match.group(match.lastindex)
    if letter.isupper():
        return letter
    bracketed = match.lastindex == 2 and match.group(1)
    following = text[match.end():match.end() + 1]
    return letter.upper() if bracketed or following in ("", ")", "]", ".", ",", ";", ":", "!", "?") \
        else None


def _tier(patterns: list[re.Pattern], text: str) -> set[str]:
    """Distinct letters found by a tier's patterns."""
    found = set()
    for pattern in patterns:
        found |= {l for m in pattern.finditer(text) if (l := _accept(m, text))}
    return found


def extract(text: str, choices: tuple[str, ...] = (), option_text: bool = True
            ) -> tuple[str | None, str]:
    """The letter a reply chooses, and how it was found.

    Returns:
        ``(letter, how)``; ``letter`` is None when nothing was found or the reply is
        ambiguous (``how`` says which).
    """
    letters = f"A-{LETTERS[min(len(choices), len(LETTERS)) - 1]}" if choices else "A-J"
    text = unicodedata.normalize("NFKC", text).replace("**", "").replace("__", "")
    tiers = (
        ("explicit", _explicit(letters)),
        # a letter opening the reply decides before a later line holding only a letter
        # (SmolLM2 starts listing the options again: "A. Yes, ...\nB")
        ("opening", [re.compile(r"\A\s*([\(\[]?)([" + letters + r"])(?:[\)\]\.:,]|\s*\Z)")]),
        ("letter line", [re.compile(r"^\s*([\(\[]?)([" + letters + r"])[\)\]\.]?\s*$",
                                    re.MULTILINE)]),
        ("parenthesised", [re.compile(r"\(([" + letters + r"])\)")]),
    )
    for how, patterns in tiers:
        found = _tier(patterns, text)
        if found:
            return _decide(found, how)
    if option_text and choices:
        letter, how = _decide(_option_letters(text, choices), "option text")
        if letter is not None or how.startswith("ambiguous"):
            return letter, how
        return _decide(_restated(text, choices), "option restated")
    return None, "no letter found"


def _decide(found: set[str], how: str) -> tuple[str | None, str]:
    if len(found) == 1:
        return next(iter(found)), how
    if found:
        return None, f"ambiguous: {', '.join(sorted(found))} ({how})"
    return None, "no letter found"


def _option_letters(text: str, choices: tuple[str, ...]) -> set[str]:
    """Letters of the options whose text the reply names (not nested in a longer one)."""
    norm = normalise(text)
    spans = {LETTERS[i]: find([c], norm) for i, c in enumerate(choices[:len(LETTERS)])}
    every = [(s, letter) for letter, ss in spans.items() for s in ss]
    return {letter for s, letter in every
            if not any(o[0] <= s[0] and s[1] <= o[1] and o != s for o, _ in every)}


_FUNCTION_WORDS = frozenset("a an the of to in on at by for and or is are was were be it its "
                            "that this with as from yes no".split())  # "Yes, ..." answers, claims nothing
_NEGATION = re.compile(r"\b(?:not|never|no longer|n t|cannot)\b")


def _restated(text: str, choices: tuple[str, ...]) -> set[str]:
    """The letter of the one option the reply restates as a claim.

    An option's own words are those no other option uses ("exactly" in "Yes, a compass
    points exactly to the geographic North Pole" against "... to the magnetic north pole,
    which is not the geographic North Pole"). The reply restates option X when it holds
    every one of X's own words, at least two thirds of X's words, and no other option's
    own word. A reply that negates while the option does not ("does not point exactly to
    ...") restates nothing.
    """
    reply = normalise(text)
    words = set(reply.split())
    options = [set(normalise(c).split()) - _FUNCTION_WORDS for c in choices[:len(LETTERS)]]
    owns = [option - set().union(*(o for j, o in enumerate(options) if j != i))
            for i, option in enumerate(options)]
    found = {LETTERS[i] for i, (option, own) in enumerate(zip(options, owns))
             if own and own <= words and len(option & words) >= 2 * len(option) / 3
             and not any(other & words for j, other in enumerate(owns) if j != i)}
    if len(found) == 1 and _NEGATION.search(reply):
        letter = next(iter(found))
        if not _NEGATION.search(normalise(choices[LETTERS.index(letter)])):
            return set()
    return found


def correct_letter(item: Item) -> str:
    """The item's correct letter: ``item.correct[0]``, a letter or an option's text.

    Raises:
        ValueError: it is neither.
    """
    key = item.correct[0].strip() if item.correct else ""
    if len(key) == 1 and key.upper() in LETTERS:
        return key.upper()
    for i, choice in enumerate(item.choices):
        if normalise(choice) == normalise(key) and key:
            return LETTERS[i]
    raise ValueError(f"item {item.id!r} of task {item.task!r}: correct answer {key!r} "
                     "is neither a letter A-J nor one of its options")


class Choice:
    """Multiple-choice letter extraction (see the module docstring)."""

    name: ClassVar[str] = "choice"

    @dataclass(frozen=True)
    class Config:
        """Options of the letter extraction."""

        option_text: bool = True  # fall back to finding exactly one option's text in the reply

    def __init__(self, config: Config | None = None):
        self.config = config if config is not None else self.Config()

    def fingerprint(self) -> str:
        """Content hash of the rules version and config."""
        return fingerprint(self.name, self.config, VERSION)

    def grade(self, item: Item, response: str) -> Verdict:
        """CORRECT / INCORRECT on the extracted letter; REFUSED / UNPARSEABLE without one."""
        expected = correct_letter(item)
        letter, how = extract(response, item.choices, self.config.option_text)
        if letter is None:
            if how.startswith("ambiguous"):
                return Verdict(UNPARSEABLE, self.name, how)
            return no_answer_verdict(self.name, response, item.refusal_is_correct, "letter")
        label = CORRECT if letter == expected else INCORRECT
        return Verdict(label, self.name, f"chose {letter} ({how}); key {expected}")
