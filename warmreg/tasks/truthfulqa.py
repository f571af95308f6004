"""TruthfulQA: questions that some humans answer falsely because of a misconception.

Rows follow ``truthfulqa/truthful_qa`` (config ``generation``, split ``validation``):
``type``, ``category``, ``question``, ``best_answer``, ``correct_answers``,
``incorrect_answers`` and ``source``. The correct answers are the best answer followed
by the other correct ones; the incorrect answer is the first incorrect one. Answer lists
may also be ";"-separated strings, as in the original CSV. The public set has no ids:
an item's id is a hash of its question, so it is the same whichever file it comes from.

``format: open`` (the study's) asks the question as it is; grading free text against
sentence-long answers needs the ``llm`` judge (``answer-match`` finds few of them
verbatim). ``format: mc`` asks it as a multiple-choice question for the ``choice`` judge:
the best answer and up to three incorrect ones, in an order fixed by the item, so a
model needs no LLM judge; the incorrect answer (belief probe) is then the letter of the
first incorrect option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warmreg import api
from warmreg.tasks import loading as _common

NAME = "truthfulqa"
HUB = ("truthfulqa/truthful_qa", "generation", "validation")


@dataclass(frozen=True)
class Config(_common.TaskConfig):
    format: Literal["open", "mc"] = "open"  # open question, or multiple choice (see above)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.format == "mc" and self.judge == "answer-match":
            raise ValueError("format 'mc' is graded by letter: set judge: choice")


class TruthfulQA(_common.RowTask):
    """Misconception questions with their true answers and the first false one."""

    Config = Config
    name = NAME
    category = api.RELIABILITY
    hub = HUB

    def to_item(self, row: dict, where: str, n: int) -> api.Item:
        return (to_choice_item if self.config.format == "mc" else to_item)(row, where, n)


def to_item(row: dict, where: str, n: int) -> api.Item:
    """One TruthfulQA row as an item."""
    question = _common.need(row, "question", where, n).strip()
    best = _common.need(row, "best_answer", where, n).strip()
    _common.need(row, "correct_answers", where, n, (list, tuple, str))
    incorrect = _common.text_list(_common.need(row, "incorrect_answers", where, n,
                                               (list, tuple, str)))
    if not incorrect:
        raise _common.ConfigError(where, f"row {n}: field 'incorrect_answers' has no answer")
    return api.Item(
        task=NAME,
        id=_common.content_id(question),
        question=question,
        correct=_common.unique([best, *_common.text_list(row["correct_answers"])]),
        incorrect=incorrect[0],
        meta={"category": str(row.get("category") or ""), "type": str(row.get("type") or ""),
              "incorrect_answers": tuple(incorrect)},
    )


MC_OPTIONS = 4  # the best answer and up to three incorrect ones
ASK = "Answer with the letter of the correct option."


def to_choice_item(row: dict, where: str, n: int) -> api.Item:
    """One TruthfulQA row as a multiple-choice item (``format: mc``)."""
    item = to_item(row, where, n)
    best, wrong = item.correct[0], list(item.meta["incorrect_answers"])[:MC_OPTIONS - 1]
    options = sorted([best, *wrong], key=lambda text: _common.rank(0, f"{item.id}\x00{text}"))
    letters = _common.LETTERS
    return api.Item(
        task=NAME, id=item.id, question=_common.lettered(item.question, options, ASK),
        correct=(letters[options.index(best)], best),
        incorrect=letters[options.index(wrong[0])], choices=tuple(options),
        meta={**item.meta, "format": "mc"},
    )
