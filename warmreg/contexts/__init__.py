"""Contexts: statements about the user that amend a prompt.

Built-in plugins (entry points in ``warmreg.contexts``):

========  ==========================================  ===========================
name      variants                                    module
========  ==========================================  ===========================
none      (none)                                      :mod:`.none`
emotion   sad, happy, angry                           :mod:`.statements`
relation  close, up (deference), down (authority)     :mod:`.statements`
stakes    high, low                                   :mod:`.statements`
belief    none, incorrect                             :mod:`.belief`
========  ==========================================  ===========================

A recipe names a context as ``"emotion:sad"`` (plugin ``emotion``, variant ``sad``) or
``"none"``; beliefs are named ``"none"`` / ``"incorrect"`` and served by ``belief``.
Helpers for the runner and for third-party plugins:

- :func:`split_name` — ``"emotion:sad"`` -> ``("emotion", "sad")``.
- :func:`compose` — join a question with its context and belief statements.
- :func:`pick` — the deterministic per-item choice every statement uses.
"""

from __future__ import annotations

from warmreg.keys import index, pick

CONTEXTS = (
    "none",
    "emotion:sad", "emotion:happy", "emotion:angry",
    "relation:close", "relation:up", "relation:down",
    "stakes:high", "stakes:low",
)
"""The study's nine interpersonal contexts, as a recipe names them."""

BELIEFS = ("none", "incorrect")
"""The study's belief conditions (variants of the ``belief`` plugin)."""

POSITIONS = ("before", "after")

__all__ = ["BELIEFS", "CONTEXTS", "POSITIONS", "compose", "index", "pick", "split_name"]


def split_name(name: str) -> tuple[str, str]:
    """Split a recipe's context name into (plugin name, variant).

    ``"emotion:sad"`` -> ``("emotion", "sad")``; ``"none"`` -> ``("none", "")``.
    """
    plugin, _, variant = name.partition(":")
    return plugin.strip(), variant.strip()


def compose(question: str, context_statement: str, belief_statement: str,
            context_position: str = "before", belief_position: str = "after") -> str:
    """The user turn: the question with its statements placed around it.

    Statements are stripped and given a final full stop if they lack terminal
    punctuation; empty statements vanish. Parts are joined with single spaces, or with
    a blank line when the question spans several lines (e.g. listed options), so a
    statement never runs into the last option. The context comes before the belief when
    both stand on the same side.

    Args:
        question: the item's question; only its outer whitespace is stripped (it is
            never re-punctuated, so every condition asks the same question text).
        context_statement: from the context plugin ("" for none).
        belief_statement: from the belief plugin ("" for none).
        context_position: "before" or "after" the question.
        belief_position: "before" or "after" the question.

    Raises:
        ValueError: a position other than "before" / "after".
    """
    for label, position in (("context", context_position), ("belief", belief_position)):
        if position not in POSITIONS:
            raise ValueError(f"{label}_position must be one of {POSITIONS}, got {position!r}")
    statements = [(context_position, _sentence(context_statement)),
                  (belief_position, _sentence(belief_statement))]
    before = [s for pos, s in statements if pos == "before" and s]
    after = [s for pos, s in statements if pos == "after" and s]
    question = question.strip()
    sep = "\n\n" if "\n" in question else " "
    head = " ".join(before)
    tail = " ".join(after)
    return sep.join(part for part in (head, question, tail) if part)


def _sentence(statement: str) -> str:
    """Strip a statement and end it with punctuation if it has none."""
    statement = " ".join(statement.split())
    if statement and statement[-1].isalnum():
        statement += "."
    return statement
