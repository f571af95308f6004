"""A minimal third-party task: arithmetic questions whose answer is known."""

from dataclasses import dataclass

from warmreg.api import RELIABILITY, Item


@dataclass(frozen=True)
class EchoConfig:
    limit: int | None = None  # how many items (None: all 10)
    judge: str = "answer-match"  # judge that marks replies
    max_new_tokens: int | None = None  # generation length override


class EchoTask:
    """Ten "what is n plus one?" questions."""

    Config = EchoConfig
    category = RELIABILITY
    refusal_is_correct = False

    def __init__(self, config: EchoConfig):
        self.config = config

    def items(self, seed: int):
        items = [Item(task="fake-echo", id=f"n{n}", question=f"What is {n} plus one?",
                      correct=(str(n + 1),), incorrect=str(n + 2)) for n in range(10)]
        return items[: self.config.limit]
