"""``transformers.TrainerCallback``s the SFT trainer adds to TRL's ``SFTTrainer``.

- :class:`EpochCheckpoints`: full HF checkpoints (weights, optimizer, scheduler, RNG,
  trainer state, so a killed run resumes) at fractional epochs, recorded in
  ``epochs.json``; training stops after the last one.
- :class:`MetricsStream`: forwards each log (loss, learning rate, epoch, ...) to a
  ``log_metrics(metrics, step)`` function, as :class:`warmreg.api.TrainEnv` provides.
- :class:`ProgressLines`: a line on stderr every ~10% of the steps (steps done/total,
  rate, time left), for logs that are not a terminal and so get no progress bar.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

from transformers import TrainerCallback

from warmreg.progress import duration
from warmreg.trainers.checkpoints import (CHECKPOINT_PREFIX, EPOCHS_FILE, epoch_key, epoch_to_step,
                                          prune_resume_state, steps_per_epoch, write_json)


class EpochCheckpoints(TrainerCallback):
    """Save at each requested epoch (converted to a global step) and stop after the last.

    Args:
        epochs: checkpoint epochs, e.g. (0.5, 1, 1.5, 2).
        stop_epoch: training stops at this epoch (or earlier, at ``max_steps``).
        output_dir: where the trainer writes ``checkpoint-N`` dirs and this writes
            ``epochs.json``.
    """

    def __init__(self, epochs: Sequence[float], stop_epoch: float, output_dir: str | Path):
        self.epochs = sorted(e for e in epochs if e <= stop_epoch)
        self.stop_epoch = stop_epoch
        self.output_dir = Path(output_dir)
        self.per_epoch = 0
        self.stop_step = 0
        self.targets: dict[int, list[float]] = {}

    def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
        self.per_epoch = steps_per_epoch(len(train_dataloader), args.gradient_accumulation_steps)
        self.stop_step = min(epoch_to_step(self.stop_epoch, self.per_epoch), state.max_steps)
        self.targets = {}
        for epoch in self.epochs:
            self.targets.setdefault(epoch_to_step(epoch, self.per_epoch), []).append(epoch)

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step in self.targets or state.global_step >= self.stop_step:
            control.should_save = True
        if state.global_step >= self.stop_step:
            control.should_training_stop = True
        return control

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            write_json(self.output_dir / EPOCHS_FILE, self.saved(state.global_step))
            prune_resume_state(self.output_dir, keep_step=state.global_step)

    def saved(self, step: int) -> dict[str, str]:
        """{epoch: dir name} of every checkpoint up to ``step``; an unrequested final
        step (a ``max_steps`` stop) is listed under its fractional epoch."""
        saved = {epoch_key(e): f"{CHECKPOINT_PREFIX}{s}"
                 for s, epochs in self.targets.items() if s <= step for e in epochs}
        if step not in self.targets:
            saved[epoch_key(round(step / self.per_epoch, 4))] = f"{CHECKPOINT_PREFIX}{step}"
        return saved


class MetricsStream(TrainerCallback):
    """Pass every numeric log value to ``log_fn(metrics, global_step)`` (main process)."""

    def __init__(self, log_fn: Callable[[Mapping[str, float], int], None]):
        self.log_fn = log_fn

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        metrics = {k: float(v) for k, v in logs.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if metrics:
            self.log_fn(metrics, state.global_step)


class ProgressLines(TrainerCallback):
    """One stderr line per ~10% of the steps: done/total, seconds per step, time left."""

    def __init__(self, label: str, every: float = 0.1, stream=None):
        self.label = label
        self.every = every
        self.stream = stream or sys.stderr
        self.start = self.first = self.next = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.start, self.first = time.monotonic(), state.global_step
        self.next = self.first + 1
        if state.is_world_process_zero and state.global_step:
            self._print(f"resuming at step {state.global_step}/{state.max_steps}")

    def on_step_end(self, args, state, control, **kwargs):
        step, total = state.global_step, max(state.max_steps, 1)
        if not state.is_world_process_zero or (step < self.next and not control.should_training_stop):
            return
        rate = (time.monotonic() - self.start) / max(step - self.first, 1)
        self._print(f"step {step}/{total} ({100 * step // total}%), {rate:.2f} s/step, "
                    f"about {duration(rate * (total - step))} left")
        self.next = step + max(math.ceil(total * self.every), 1)

    def on_train_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self._print(f"done in {duration(time.monotonic() - self.start)}; "
                        f"checkpoints in {args.output_dir}")

    def _print(self, message: str) -> None:
        print(f"warmreg: {self.label}: {message}", file=self.stream, flush=True)
