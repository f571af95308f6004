"""The ``flaw-mention`` judge: does a comment name the text's known flaw?

A rule judge for the ``feedback`` task: CORRECT when the reply mentions one of the
item's ``flaw_terms`` (each matched where a word starts, so ``generalis`` matches
"generalises"), INCORRECT when a non-empty reply mentions none, REFUSED for a refusal,
UNPARSEABLE for an empty reply and for an item with no flaw terms (a public row: grade
it with the ``llm`` judge, which reads the whole comment). It does not read negation
("there is no circular reasoning" counts as naming circularity): the ``llm`` judge is
the one to trust for final numbers; this one makes offline runs and tests possible.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from warmreg.api import CORRECT, INCORRECT, REFUSED, UNPARSEABLE, Item, Verdict, content_hash
from warmreg.refusal import is_refusal

VERSION = "1"  # bump when the rules change: part of every verdict's cache key
NAME = "flaw-mention"
SCAN_CHARS = 20_000  # a longer reply is read up to here


@dataclass(frozen=True)
class Config:
    """Options of the flaw-term match."""

    case_sensitive: bool = False  # match flaw terms with their case as written


class FlawMention:
    """CORRECT when a comment names the text's known flaw, INCORRECT when it does not."""

    Config = Config

    def __init__(self, config: Config | None = None):
        self.config = config if config is not None else Config()

    def fingerprint(self) -> str:
        return content_hash(NAME, VERSION, asdict(self.config))

    def grade(self, item: Item, response: str) -> Verdict:
        """The verdict on one comment (see the module docstring)."""
        terms = _terms(item)
        text = (response or "")[:SCAN_CHARS]
        if not text.strip():
            return Verdict(UNPARSEABLE, NAME, "empty reply")
        if not terms:
            return Verdict(UNPARSEABLE, NAME, "the item names no flaw terms; use the llm judge")
        flags = 0 if self.config.case_sensitive else re.IGNORECASE
        found = [t for t in terms if re.search(r"(?<!\w)" + re.escape(t), text, flags)]
        if found:
            return Verdict(CORRECT, NAME, f"names the flaw: {found[0]!r}")
        if is_refusal(text):
            return Verdict(REFUSED, NAME, "refusal")
        return Verdict(INCORRECT, NAME, "does not name the flaw")


def _terms(item: Item) -> tuple[str, ...]:
    """The item's flaw terms: ``meta["flaw_terms"]`` where the task gives it, else the
    answer key (so the judge also grades short-answer items)."""
    if "flaw_terms" in item.meta:
        return tuple(t for t in item.meta["flaw_terms"] if str(t).strip())
    return tuple(a for a in item.correct if a.strip())
