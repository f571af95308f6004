"""Small helpers shared by the built-in judges."""

from __future__ import annotations

from typing import Any

from warmreg.api import CORRECT, REFUSED, UNPARSEABLE, Verdict, content_hash
from warmreg.config import as_dict
from warmreg.refusal import is_refusal


def fingerprint(name: str, config: Any, version: str, *extra: Any) -> str:
    """Content hash of a judge: its name, resolved config and rules version."""
    return content_hash(name, as_dict(config), version, *extra)


def is_empty(response: str) -> bool:
    """Whether a reply has no content at all."""
    return not response or not response.strip()


def refusal_verdict(judge: str, refusal_is_correct: bool, explanation: str = "refusal") -> Verdict:
    """REFUSED, or CORRECT on items where refusing is the right behaviour."""
    if refusal_is_correct:
        return Verdict(CORRECT, judge, f"{explanation} (refusal is correct for this item)")
    return Verdict(REFUSED, judge, explanation)


def no_answer_verdict(judge: str, response: str, refusal_is_correct: bool, what: str) -> Verdict:
    """The verdict on a reply where no ``what`` (answer, letter, number) was found.

    A refusal is REFUSED (or CORRECT where refusing is correct); an empty reply or
    anything else is UNPARSEABLE — never silently INCORRECT.
    """
    if is_empty(response):
        return Verdict(UNPARSEABLE, judge, "empty reply")
    if is_refusal(response):
        return refusal_verdict(judge, refusal_is_correct)
    return Verdict(UNPARSEABLE, judge, f"no {what} found")

