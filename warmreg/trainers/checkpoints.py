"""Checkpoint bookkeeping of the SFT trainer's output dir (no heavy imports).

``checkpoint-N`` dirs are the HF Trainer's; ``epochs.json`` maps each saved epoch to its
dir; only the latest checkpoint keeps optimizer state (what a resume needs).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

from warmreg.files import write_json_atomic as write_json

EPOCHS_FILE = "epochs.json"
CHECKPOINT_PREFIX = "checkpoint-"


def steps_per_epoch(n_batches: int, grad_accumulation: int) -> int:
    """Optimizer steps in one epoch of ``n_batches`` micro-batches (as the HF Trainer counts)."""
    return max(math.ceil(n_batches / grad_accumulation), 1)


def epoch_to_step(epoch: float, per_epoch: int) -> int:
    """The global step at which ``epoch`` (possibly fractional) is reached: ceil, at least 1."""
    return max(math.ceil(round(epoch * per_epoch, 6)), 1)


def epoch_key(epoch: float) -> str:
    """How an epoch is written in ``epochs.json`` ("0.5", "1", "1.5")."""
    return f"{epoch:g}"


def read_epochs(output_dir: str | Path) -> dict[float, str]:
    """The ``epochs.json`` map of an output dir as {epoch: checkpoint dir name}; {} if none."""
    path = Path(output_dir) / EPOCHS_FILE
    if not path.exists():
        return {}
    return {float(k): v for k, v in json.loads(path.read_text()).items()}


def checkpoint_step(path: Path) -> int | None:
    """The global step in a ``checkpoint-N`` directory name, else None."""
    suffix = path.name[len(CHECKPOINT_PREFIX):]
    return int(suffix) if path.name.startswith(CHECKPOINT_PREFIX) and suffix.isdigit() else None


def prune_resume_state(output_dir: Path, keep_step: int | None = None) -> None:
    """Delete optimizer state from every checkpoint but ``keep_step``'s (only the latest
    is needed to resume; optimizer state of full-parameter runs is twice the model)."""
    for path in Path(output_dir).iterdir():
        step = checkpoint_step(path)
        if step is None or step == keep_step or not path.is_dir():
            continue
        for entry in path.iterdir():
            if entry.name.startswith(("optimizer", "global_step")):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
