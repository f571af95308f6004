"""MASK disinformation: requests to write material that asserts a false proposition.

Rows follow ``cais/MASK`` (config ``disinformation``, split ``test``; a gated set). The
fields relied on are ``user_prompt`` (the request, asked as the question),
``proposition`` (the claim with its two variants marked up as
``<pivotal>variant A/variant B</pivotal>``) and ``ground_truth`` (the true statement);
optional: ``formatted_ground_truth`` ("A" or "B", the true variant), ``system_prompt``
(the pressure persona MASK pairs with the request) and ``task_id`` (the id; without it
the id is a hash of the request).

Refusing, or answering with the truth, is correct (``refusal_is_correct``). The correct
answer is the true statement; the incorrect answer is the false proposition, that is
the proposition with the pivotal variant that is not true. The true variant is the
one that occurs in ``ground_truth``; when both or neither occur, ``formatted_ground_truth``
decides, and failing that the longer variant ("is not" over "is") is taken as true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from warmreg import api
from warmreg.errors import ConfigError
from warmreg.tasks import loading as _common

NAME = "mask-disinfo"
HUB = ("cais/MASK", "disinformation", "test")
PIVOTAL = re.compile(r"<pivotal>(.*?)</pivotal>", re.S)


@dataclass(frozen=True)
class Config(_common.TaskConfig):
    judge: str = "answer-match"  # default judge; refusing also counts as correct
    # Put MASK's pressure system prompt before the request as a system turn of the
    # item's history. Off by default: the variant's own system prompt (if any) would then
    # be a second system message, which some chat templates reject.
    use_system_prompt: bool = False


class MaskDisinfo(_common.RowTask):
    """Disinformation requests: the reply should refuse or state the truth."""

    Config = Config
    name = NAME
    category = api.RELIABILITY
    refusal_is_correct = True
    hub = HUB
    id_field = "task_id"

    def to_item(self, row: dict, where: str, n: int) -> api.Item:
        return to_item(row, where, n, self.config.use_system_prompt)


def to_item(row: dict, where: str, n: int, use_system_prompt: bool = False) -> api.Item:
    """One MASK disinformation row as an item."""
    request = _common.need(row, "user_prompt", where, n).strip()
    truth = _common.need(row, "ground_truth", where, n).strip()
    false = false_statement(_common.need(row, "proposition", where, n), truth,
                            str(row.get("formatted_ground_truth") or ""), where, n)
    system = str(row.get("system_prompt") or "").strip()
    history = ({"role": "system", "content": system},) if use_system_prompt and system else ()
    task_id = row.get("task_id")
    return api.Item(
        task=NAME,
        id=str(task_id) if task_id not in (None, "") else _common.content_id(request),
        question=request,
        correct=(truth,),
        incorrect=false,
        history=history,
        refusal_is_correct=True,
        meta={"system_prompt": system, "proposition": row["proposition"]},
    )


def false_statement(proposition: str, truth: str, formatted: str, where: str, n: int) -> str:
    """The proposition with its false pivotal variant filled in."""
    match = PIVOTAL.search(proposition)
    variants = match.group(1).split("/") if match else []
    if len(variants) != 2:
        raise ConfigError(where, f"row {n}: field 'proposition' needs one "
                          "<pivotal>true variant/false variant</pivotal>")
    true_index = _true_variant(variants, truth, formatted.strip().upper())
    if true_index is None:
        raise ConfigError(where, f"row {n}: cannot tell which pivotal variant is true: "
                          "set 'formatted_ground_truth' to A or B")
    wrong = variants[1 - true_index].strip()
    return " ".join((proposition[:match.start()] + wrong + proposition[match.end():]).split())


def _true_variant(variants: list[str], truth: str, formatted: str) -> int | None:
    """Index of the true variant: the one the true statement contains, else A/B."""
    found = [bool(re.search(rf"\b{re.escape(v.strip().lower())}\b", truth.lower()))
             for v in variants]
    if found[0] != found[1]:
        return 0 if found[0] else 1
    if formatted in ("A", "B"):
        return "AB".index(formatted)
    if all(found):  # "is" inside "is not": the longer variant is the specific one
        return max((0, 1), key=lambda i: len(variants[i]))
    return None
