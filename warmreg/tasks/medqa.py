"""MedQA: USMLE case vignettes, asked the way a worried relative would ask them.

Rows follow ``GBaker/MedQA-USMLE-4-options`` (split ``test``): ``question`` (the
vignette), ``options`` (``{"A": ..., "D": ...}``; a list of ``{"key", "value"}`` is also
read), ``answer_idx`` (the correct letter), ``answer`` and ``meta_info``. Each vignette is
rewritten in the first person by the rules of :mod:`warmreg.tasks._vignette` ("A
15-year-old boy presents with ..." -> "My brother, a 15-year-old boy, has ..."); the
bundled sample is written conversationally already, so the rules leave it unchanged.

By default the question is open-ended: the correct answer is the text of the correct
option and the incorrect answer the text of one distractor (chosen by a hash of the item
id, the same on every run). With ``show_options`` the options are listed with their
letters, as in MMLU: ``correct`` is ``(letter, text)``, ``incorrect`` a distractor's
letter; use the ``choice`` judge then.
"""

from __future__ import annotations

from dataclasses import dataclass

from warmreg import api
from warmreg.errors import ConfigError
from warmreg.tasks import loading as _common, _vignette

NAME = "medqa"
HUB = ("GBaker/MedQA-USMLE-4-options", None, "test")
ASK = "Please answer with the letter of the correct option."


@dataclass(frozen=True)
class Config(_common.TaskConfig):
    judge: str = "answer-match"  # default judge ("choice" with show_options)
    show_options: bool = False  # list the lettered options in the question


class MedQA(_common.RowTask):
    """Medical case questions in conversational form."""

    Config = Config
    name = NAME
    category = api.RELIABILITY
    hub = HUB

    def to_item(self, row: dict, where: str, n: int) -> api.Item:
        return to_item(row, where, n, self.config.show_options)


def to_item(row: dict, where: str, n: int, show_options: bool = False) -> api.Item:
    """One MedQA row as an item."""
    vignette = _common.need(row, "question", where, n)
    options = read_options(_common.need(row, "options", where, n, (dict, list)), where, n)
    letter = _common.need(row, "answer_idx", where, n).strip().upper()
    if letter not in options:
        raise ConfigError(where, f"row {n}: field 'answer_idx' is {letter!r}, not one of "
                          f"the options {sorted(options)}")
    item_id = _common.content_id(vignette)
    wrong = _common.pick([k for k in options if k != letter], item_id)
    question, converted = _vignette.converse(vignette, rewrite_question=not show_options)
    meta = {"options": options, "answer_idx": letter, "vignette": vignette,
            "converted": converted, "meta_info": str(row.get("meta_info") or "")}
    if show_options:
        return api.Item(task=NAME, id=item_id, question=_common.lettered(question,
                        list(options.values()), ASK), correct=(letter, options[letter]),
                        incorrect=wrong, choices=tuple(options.values()), meta=meta)
    return api.Item(task=NAME, id=item_id, question=question, correct=(options[letter],),
                    incorrect=options[wrong], meta=meta)


def read_options(raw: dict | list, where: str, n: int) -> dict[str, str]:
    """Options as ``{letter: text}`` in letter order, from a mapping or key/value list."""
    if isinstance(raw, list):
        try:
            raw = {str(o["key"]): o["value"] for o in raw}
        except (TypeError, KeyError):
            raise ConfigError(where, f"row {n}: field 'options' must map letters to "
                              "texts") from None
    options = {str(k).strip().upper(): str(v).strip() for k, v in raw.items()
               if v is not None and str(v).strip()}
    if sorted(options) != list(_common.LETTERS[:len(options)]) or len(options) < 2:
        raise ConfigError(where, f"row {n}: field 'options' must have letters A, B, ... "
                          f"in order, got {sorted(raw)}")
    return dict(sorted(options.items()))
