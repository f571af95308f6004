"""Length-grouped batches: most tokens of a training step are real, not padding.

A random order pads each micro-batch to its longest example; on the bundled persona set
(replies of 20-260 tokens) a third of the tokens of a step are then padding. Here each
epoch shuffles the examples, sorts each window of ``window_batches`` micro-batches by
length, cuts it into micro-batches and shuffles the micro-batches, so a batch holds
examples of similar length while the order of lengths over an epoch stays random (a plain
sort would run every epoch from the longest examples to the shortest, and the conversation
types differ in length). The epoch's order depends on the seed and the epoch only, so a
resumed run replays the same batches.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import torch
from torch.utils.data import Sampler

WINDOW_BATCHES = 64  # micro-batches sorted together (the whole bundled set fits in one)


class LengthGroupedBatches(Sampler[int]):
    """Example indices in an order whose consecutive ``batch_size`` runs have similar lengths.

    Args:
        lengths: tokens of each example.
        batch_size: examples per micro-batch (the trainer's per-device batch).
        seed: the shuffle's seed; each epoch adds its number.
        window_batches: micro-batches sorted together; larger pads less, smaller keeps
            more of the random order.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int,
                 window_batches: int = WINDOW_BATCHES):
        self.lengths, self.batch_size, self.seed = list(lengths), batch_size, seed
        self.window = batch_size * window_batches
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch's order (the Trainer and accelerate call this)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        return iter(self.order(self.epoch))

    def order(self, epoch: int) -> list[int]:
        """The indices for ``epoch``: shuffled, sorted per window, batches shuffled."""
        generator = torch.Generator().manual_seed(self.seed + epoch)
        shuffled = torch.randperm(len(self.lengths), generator=generator).tolist()
        batches = []
        for start in range(0, len(shuffled), self.window):
            window = sorted(shuffled[start:start + self.window], key=self.lengths.__getitem__)
            batches += [window[i:i + self.batch_size] for i in range(0, len(window), self.batch_size)]
        # a short last batch stays last, as with a random order (drop_last stays meaningful)
        full = [b for b in batches if len(b) == self.batch_size]
        short = [b for b in batches if len(b) < self.batch_size]
        picks = torch.randperm(len(full), generator=generator).tolist()
        return [i for b in [full[p] for p in picks] + short for i in b]


def real_token_share(batches: Sequence[Sequence[int]]) -> float:
    """Share of real (non-padding) tokens when each batch is padded to its longest row."""
    padded = sum(max(b) * len(b) for b in batches if b)
    return sum(map(sum, batches)) / padded if padded else 1.0


def grouped(trainer_class):
    """``trainer_class`` (a ``transformers.Trainer``) drawing batches from
    :class:`LengthGroupedBatches` over its tokenized ``input_ids``."""

    class LengthGrouped(trainer_class):
        def _get_train_sampler(self, train_dataset=None):
            dataset = self.train_dataset if train_dataset is None else train_dataset
            lengths = [len(ids) for ids in dataset["input_ids"]]
            return LengthGroupedBatches(lengths, self.args.per_device_train_batch_size,
                                        self.args.seed)

    LengthGrouped.__name__ = f"LengthGrouped{trainer_class.__name__}"
    return LengthGrouped
