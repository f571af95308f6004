"""The ``numeric`` judge: the final number of a worked answer (GSM8K).

The reply's answer is, in order of preference: the number after the last "####"; the
number in the last ``\\boxed{...}``; the number after the last "answer is" /
"answer:"; else the last number in the reply. Numbers may carry "$", thousands commas,
decimals, a sign ("-" or "−") and a trailing "%"; "3/4" is read as a fraction. It is
compared with ``item.correct[0]`` within a tolerance. No number: REFUSED for a refusal,
else UNPARSEABLE.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar

from warmreg.api import CORRECT, INCORRECT, Item, Verdict
from warmreg.judges._common import fingerprint, no_answer_verdict

VERSION = "1"  # bump when the rules change: it is part of every verdict's cache key

_NUMBER = (r"(?<![\w.])-?(?:\$\s?)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?/\s?\d+(?:\.\d+)?)?"
           r"|(?<![\w.])-?(?:\$\s?)?\.\d+")
_NUMBER_RE = re.compile(_NUMBER)
_MARKED = (
    re.compile(r"####\s*(" + _NUMBER + ")"),
    re.compile(r"\\boxed\{\s*(?:\\text\{[^}]*\}\s*)?(" + _NUMBER + ")"),
    re.compile(r"answer\s*(?:is|would be|will be|:|=)\s*:?\s*(?:approximately\s+|about\s+)?("
               + _NUMBER + ")", re.IGNORECASE),
)


def parse_number(text: str) -> float | None:
    """A number written as in a reply ("$1,234.50", "-3", "3/4") as a float, or None."""
    cleaned = re.sub(r"[\s$,]", "", text.replace("\u2212", "-"))
    try:
        if "/" in cleaned:
            return float(Fraction(cleaned))
        return float(cleaned)
    except (ValueError, ZeroDivisionError):
        return None


def extract(text: str) -> tuple[float | None, str]:
    """The reply's final answer as a number, and how it was found (None if none)."""
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-").replace("**", "")
    for how, pattern in zip(("####", "boxed", "answer is"), _MARKED):
        matches = list(pattern.finditer(text))
        if matches and (value := parse_number(matches[-1].group(1))) is not None:
            return value, how
    for match in reversed(list(_NUMBER_RE.finditer(text))):
        if (value := parse_number(match.group(0))) is not None:
            return value, "last number"
    return None, "no number found"


class Numeric:
    """Final-number extraction and tolerant comparison (see the module docstring)."""

    name: ClassVar[str] = "numeric"

    @dataclass(frozen=True)
    class Config:
        """Comparison tolerances (``math.isclose``)."""

        rel_tol: float = field(default=1e-6, metadata={"min": 0})  # relative tolerance
        abs_tol: float = field(default=1e-6, metadata={"min": 0})  # absolute tolerance, for answers near zero

    def __init__(self, config: Config | None = None):
        self.config = config if config is not None else self.Config()

    def fingerprint(self) -> str:
        """Content hash of the rules version and config."""
        return fingerprint(self.name, self.config, VERSION)

    def grade(self, item: Item, response: str) -> Verdict:
        """CORRECT / INCORRECT on the extracted number; REFUSED / UNPARSEABLE without one.

        Raises:
            ValueError: the item's correct answer is not a number.
        """
        expected = parse_number(item.correct[0]) if item.correct else None
        if expected is None:
            raise ValueError(f"item {item.id!r} of task {item.task!r}: correct answer "
                             f"{item.correct[:1]!r} is not a number")
        value, how = extract(response)
        if value is None:
            return no_answer_verdict(self.name, response, item.refusal_is_correct, "number")
        close = math.isclose(value, expected, rel_tol=self.config.rel_tol,
                             abs_tol=self.config.abs_tol)
        return Verdict(CORRECT if close else INCORRECT, self.name,
                       f"answer {value:g} ({how}); key {expected:g}")
