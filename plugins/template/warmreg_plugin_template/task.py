"""The ``template-sums`` task: "What is a plus b?" with a known answer.

A task plugin is a class with a frozen ``Config`` dataclass (every field commented; the
recipe section becomes ``Config(**section)``), a ``category`` and ``items(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warmreg.api import RELIABILITY, Item, seeded_sample

NAME = "template-sums"  # the entry-point name; every Item carries it as ``task``


@dataclass(frozen=True)
class Config:
    limit: int | None = field(default=None, metadata={"min": 0})  # items in the seeded sample; None = all
    judge: str = "template-contains"  # default judge for this task's generations
    max_new_tokens: int | None = field(default=16, metadata={"min": 1, "max": 1 << 20})  # a sum needs few tokens; None = the recipe's setting
    count: int = field(default=20, metadata={"min": 1})  # how many questions the task has in all

    def __post_init__(self) -> None:
        # A ValueError here becomes a recipe error naming the file and key.
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must be >= 0 or null, got {self.limit}")
        if self.count < 1:
            raise ValueError(f"count must be at least 1, got {self.count}")


class Sums:
    """Addition questions; the plausible wrong answer is off by ten."""

    Config = Config
    category = RELIABILITY  # or CAPABILITY for a control task
    refusal_is_correct = False  # True where refusing is the right answer on every item

    def __init__(self, config: Config | None = None):
        self.config = config or Config()

    def items(self, seed: int) -> list[Item]:
        """The seeded sample: items ranked by a hash of (seed, id), the first ``limit`` kept."""
        items = [question(n) for n in range(self.config.count)]
        return seeded_sample(items, seed, self.config.limit)


def question(n: int) -> Item:
    """The n-th question (the same on every machine and in every run)."""
    a, b = 3 + (7 * n) % 40, 5 + (11 * n) % 50
    return Item(task=NAME, id=f"sum-{n}", question=f"What is {a} plus {b}? Reply with the number.",
                correct=(str(a + b),), incorrect=str(a + b + 10))
