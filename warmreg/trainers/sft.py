"""The ``sft-warm`` and ``sft-cold`` trainers: supervised fine-tuning on persona rewrites.

One implementation, the persona a parameter: TRL's ``SFTTrainer`` with a PEFT LoRA
adapter (or full-parameter SFT for small models) on
``training_examples(load_persona_set(config.data), persona)``. Those examples are
conversational prompt-completion pairs, for which TRL computes the loss on completion
tokens only (``completion_only_loss=None`` means exactly that for this format).

Checkpoints are full HF checkpoints at fractional epochs (``checkpoint_epochs``), listed
in ``epochs.json``; ``done.json`` marks a finished job, so a re-run returns at once and a
killed run resumes from its last checkpoint. The same code runs under
``accelerate launch`` (DDP, FSDP, DeepSpeed; configs in ``recipes/accelerate/``)::

    accelerate launch --config_file recipes/accelerate/ddp.yaml -m warmreg.trainers.sft \\
        --base PATH --persona warm --workdir DIR --config '{"epochs": 2}'

On a machine without a GPU, ``accelerate launch --multi_gpu --num_processes 2`` (or
``torchrun --nproc_per_node 2``) gives CPU DDP over gloo: the trainer sets ``use_cpu``.
(accelerate 1.15 runs ``--cpu`` jobs in one process unless they go through mpirun.)
The effective batch stays ``effective_batch_size`` whatever the number of processes.
A runner given the same workdir afterwards finds ``done.json`` and loads the result.

The runner's jobs train in a child process of this same entry (``train`` starts it and
forwards its metrics, written to ``metrics.jsonl`` in the workdir, as they come): the
trainer's model, optimizer and the heap its many batch shapes fragment go back to the
system when the child exits, before the variant is loaded for generation. Extra
``callbacks``, a launcher's job (``WORLD_SIZE`` or MPI's size set) or ``WARMREG_TRAIN_IN_PROCESS=1``
train in the calling process instead.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, Sequence

from warmreg.api import ModelSpec, ModelVariant, TrainEnv
from warmreg.errors import ConfigError, WarmregError
from warmreg.trainers.checkpoints import (CHECKPOINT_PREFIX, checkpoint_step, epoch_key,
                                          prune_resume_state, read_epochs, write_json)
from warmreg.keys import variant_fingerprint
from warmreg.persona.data import TYPES
from warmreg.trainers.common import InvalidConfig

JOB_FILE = "job.json"
DONE_FILE = "done.json"
METRICS_FILE = "metrics.jsonl"  # a child process's training metrics, one JSON object a line
IN_PROCESS = "WARMREG_TRAIN_IN_PROCESS"  # "1": train in the calling process
# the child's entry: main() without runpy's warning about a module its package imported
CHILD_MAIN = "import sys; from warmreg.trainers.sft import main; sys.exit(main(sys.argv[1:]))"


@dataclass(frozen=True)
class SFTConfig:
    """Persona SFT settings; defaults are the study's."""

    data: str | None = field(default=None, metadata={"file": True})  # persona JSONL; None = bundled
    limit: int | None = field(default=None, metadata={"min": 1})  # use only the first N conversations (demos, tests)
    conversation_types: tuple[str, ...] | None = None  # train only on these types of conversation (refusal, factual, creative, technical, advice, other); None = all
    lora_r: int = field(default=8, metadata={"min": 1})  # LoRA rank
    lora_alpha: int = field(default=16, metadata={"min": 1})  # LoRA scaling numerator (scale = alpha / r)
    lora_dropout: float = field(default=0.1, metadata={"min": 0, "max": 1, "max_exclusive": True})  # dropout on the LoRA branch
    target_modules: str | tuple[str, ...] = "all-linear"  # modules that get adapters
    full_parameter: bool = False  # train every weight instead of LoRA (small models)
    dtype: Literal["auto", "fast", "float32", "bfloat16"] = "auto"  # the frozen base weights under LoRA: auto = stored dtype on GPU, float32 on CPU; fast = bfloat16 where the device computes it natively (adapters stay float32); full-parameter runs keep float32
    learning_rate: float = field(default=1e-5, metadata={"min": 0, "min_exclusive": True, "max": 1})  # peak AdamW learning rate (linear decay, no warm-up)
    max_length: int = field(default=1024, metadata={"min": 1})  # tokens per example; longer ones are cut at the end
    effective_batch_size: int = field(default=16, metadata={"min": 1})  # examples per optimizer step, over all processes
    per_device_batch_size: int = field(default=4, metadata={"min": 1})  # examples per forward pass on one process
    epochs: float = field(default=10.0, metadata={"min": 0, "min_exclusive": True, "max": 10_000})  # length (cut to the last checkpoint epoch; the LR decays over it)
    checkpoint_epochs: tuple[float, ...] = field(default=(0.5, 1, 1.5, 2, 4, 6, 8, 10), metadata={"min": 0, "min_exclusive": True, "max": 10_000})  # when to save
    evaluate_epoch: float = field(default=2.0, metadata={"min": 0, "min_exclusive": True})  # the checkpoint the variant evaluates
    gradient_checkpointing: bool = False  # trade compute for activation memory
    group_by_length: bool = True  # batches of similar lengths, in shuffled order (batching.py): less padding
    pad_to_multiple_of: int | None = field(default=8, metadata={"min": 1})  # pad each batch to a multiple of this many tokens: a bounded set of shapes (on a CPU each new length builds kernels that stay cached, ~80 MB a step on the demo); None = to its longest example
    max_steps: int | None = field(default=None, metadata={"min": 1})  # stop after this many optimizer steps (smoke runs)

    def __post_init__(self) -> None:
        epochs = tuple(sorted({float(e) for e in self.checkpoint_epochs}))
        object.__setattr__(self, "checkpoint_epochs", epochs)
        object.__setattr__(self, "epochs", float(self.epochs))
        object.__setattr__(self, "evaluate_epoch", float(self.evaluate_epoch))
        if not isinstance(self.target_modules, str):
            object.__setattr__(self, "target_modules", tuple(self.target_modules))
        if self.conversation_types is not None:
            object.__setattr__(self, "conversation_types", _known_types(self.conversation_types))
        if not epochs or epochs[0] <= 0:
            raise InvalidConfig(f"checkpoint_epochs must be positive, got {list(epochs)}")
        if self.evaluate_epoch not in epochs:
            raise InvalidConfig(f"evaluate_epoch {self.evaluate_epoch:g} is not among "
                                f"checkpoint_epochs {[float(e) for e in epochs]}")
        if self.evaluate_epoch > self.epochs:
            raise InvalidConfig(f"evaluate_epoch {self.evaluate_epoch:g} is after the end of "
                                f"training (epochs {self.epochs:g})")
        if self.effective_batch_size % self.per_device_batch_size:
            raise InvalidConfig(f"effective_batch_size {self.effective_batch_size} is not a "
                                f"multiple of per_device_batch_size {self.per_device_batch_size}")
        for name in ("limit", "max_steps", "lora_r", "per_device_batch_size", "max_length",
                     "pad_to_multiple_of"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InvalidConfig(f"{name} must be at least 1, got {value}")

    @property
    def stop_epoch(self) -> float:
        """Training stops after the last checkpoint epoch or ``epochs``, whichever is first."""
        return min(self.epochs, self.checkpoint_epochs[-1])


class SFT:
    """Persona SFT; :class:`SFTWarm` and :class:`SFTCold` fix the persona.

    Args:
        config: the settings.
        callbacks: extra ``TrainerCallback``s (instrumentation, tests).
    """

    Config = SFTConfig
    trains: ClassVar[bool] = True  # fits weights: the runner opens a training run
    persona: ClassVar[str] = ""
    name: ClassVar[str] = ""

    def __init__(self, config: SFTConfig | None = None, callbacks: Sequence = (),
                 in_process: bool | None = None):
        self.config = config or SFTConfig()
        self.callbacks = list(callbacks)
        self.in_process = in_process  # None: a child process unless callbacks, a launcher or IN_PROCESS say otherwise

    def train(self, base: ModelSpec, variant: str, env: TrainEnv) -> ModelVariant:
        """Train (or resume, or load a finished job from ``env.workdir``) and return the
        variant at ``evaluate_epoch``."""
        workdir = Path(env.workdir)
        done = self._read_done(workdir)
        if done is None:
            if self._trains_in_process():
                self._fit(env)
            else:
                self._fit_in_child(env)
            done = self._read_done(workdir)
        return self._variant(base, variant, env, done)

    def _trains_in_process(self) -> bool:
        if self.in_process is not None:
            return self.in_process
        return bool(self.callbacks) or launched() or os.environ.get(IN_PROCESS) == "1"

    def _fit_in_child(self, env: TrainEnv) -> None:
        """Run :meth:`_fit` in a child process (:data:`CHILD_MAIN`); forward its metrics to
        ``env.log_metrics`` as it writes them. The child inherits stderr (progress lines),
        dies with this process (Linux), and is stopped if this one is interrupted."""
        workdir = Path(env.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        metrics = workdir / METRICS_FILE
        if metrics.exists():  # a killed run's last points (the tracker drops repeats)
            with metrics.open() as stream:
                _forward(stream, env.log_metrics)
        metrics.write_text("")
        cls = type(self)
        cmd = [sys.executable, "-c", CHILD_MAIN, "--base", str(env.base_path),
               "--persona", self.persona, "--trainer", f"{cls.__module__}:{cls.__qualname__}",
               "--workdir", str(workdir), "--seed", str(env.seed), "--metrics", str(metrics),
               "--config", json.dumps(asdict(self.config))]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                preexec_fn=_die_with_parent)
        with metrics.open() as stream:
            try:
                while proc.poll() is None:
                    _forward(stream, env.log_metrics)
                    time.sleep(0.5)
            finally:
                if proc.poll() is None:  # this process was interrupted: the child stops too
                    proc.terminate()
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                _forward(stream, env.log_metrics)  # every step it logged, even when interrupted
        if proc.returncode:
            raise WarmregError(f"{self.name}: training in its own process failed (exit "
                               f"{proc.returncode}; its messages are above); the job's "
                               f"checkpoints are kept in {workdir}")

    def examples(self) -> list[dict]:
        """The training examples: one prompt-completion pair per assistant turn."""
        from warmreg.persona.data import load_persona_set, training_examples

        conversations = load_persona_set(self.config.data)
        if self.config.conversation_types is not None:
            conversations = [c for c in conversations if c.type in self.config.conversation_types]
        if self.config.limit is not None:
            conversations = conversations[: self.config.limit]
        return training_examples(conversations, self.persona)

    def data_fingerprint(self) -> str:
        """A hash of :meth:`examples`: the training job's directory depends on it."""
        from warmreg.keys import content_hash

        return content_hash("sft-examples", self.examples())

    def make_trainer(self, env: TrainEnv, callbacks: Sequence = ()):
        """A ready ``trl.SFTTrainer`` for this persona (no warmreg callbacks but ``callbacks``)."""
        from datasets import Dataset
        from transformers import AutoTokenizer
        from trl import SFTTrainer

        from warmreg.trainers.batching import grouped

        dataset = Dataset.from_list(self.examples())
        trainer_class = grouped(SFTTrainer) if self.config.group_by_length else SFTTrainer
        return trainer_class(model=env.base_path, args=self.sft_args(env), train_dataset=dataset,
                          processing_class=AutoTokenizer.from_pretrained(env.base_path),
                          peft_config=self.peft_config(), callbacks=list(callbacks))

    def sft_args(self, env: TrainEnv):
        """The ``trl.SFTConfig`` for this job (world size read from the launcher)."""
        import torch
        from trl import SFTConfig as TRLConfig

        c = self.config
        world = world_size()
        if c.effective_batch_size % (c.per_device_batch_size * world):
            raise ConfigError(f"{self.name}.effective_batch_size",
                              f"{c.effective_batch_size} is not divisible by per_device_batch_size "
                              f"{c.per_device_batch_size} x {world} processes")
        gpu = torch.cuda.is_available()
        return TRLConfig(
            output_dir=str(env.workdir), seed=env.seed, data_seed=env.seed,
            learning_rate=c.learning_rate, num_train_epochs=c.stop_epoch,
            max_steps=c.max_steps or -1, per_device_train_batch_size=c.per_device_batch_size,
            gradient_accumulation_steps=c.effective_batch_size // (c.per_device_batch_size * world),
            max_length=c.max_length, pad_to_multiple_of=c.pad_to_multiple_of,
            activation_checkpointing=c.gradient_checkpointing,
            # without a GPU, use_cpu makes accelerate run DDP over gloo under a launcher
            use_cpu=not gpu, bf16=gpu and torch.cuda.is_bf16_supported(),
            dataloader_pin_memory=gpu, save_strategy="no", logging_steps=1, report_to="none",
            disable_tqdm=not sys.stderr.isatty(),
            model_init_kwargs={"dtype": self.base_dtype(gpu)},
        )

    def base_dtype(self, gpu: bool) -> str:
        """The dtype the base model is loaded in: float32 master weights for full-parameter
        runs; under LoRA the ``dtype`` setting ("auto": the stored dtype on GPU, float32 on
        CPU), resolved for the device (:func:`warmreg.models.resolve_dtype`)."""
        from warmreg.models import resolve_dtype

        dtype = self.config.dtype
        if self.config.full_parameter or (dtype == "auto" and not gpu):
            return "float32"
        if dtype == "auto":
            return "auto"
        return resolve_dtype(dtype, "cuda" if gpu else "cpu")

    def peft_config(self):
        """The LoRA config, or None for full-parameter SFT."""
        if self.config.full_parameter:
            return None
        from peft import LoraConfig

        c = self.config
        modules = c.target_modules if isinstance(c.target_modules, str) else list(c.target_modules)
        return LoraConfig(r=c.lora_r, lora_alpha=c.lora_alpha, lora_dropout=c.lora_dropout,
                          target_modules=modules, task_type="CAUSAL_LM")

    def _fit(self, env: TrainEnv) -> None:
        from transformers import PrinterCallback

        from warmreg.trainers.callbacks import EpochCheckpoints, MetricsStream, ProgressLines

        workdir = Path(env.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self._claim(workdir, env)
        trainer = self.make_trainer(env, [
            EpochCheckpoints(self.config.checkpoint_epochs, self.config.stop_epoch, workdir),
            MetricsStream(env.log_metrics), *self.callbacks])
        if trainer.args.disable_tqdm:  # replace the per-log print() with ~10% progress lines
            trainer.remove_callback(PrinterCallback)
            trainer.add_callback(ProgressLines(f"{self.name} {Path(env.base_path).name}"))
        trainer.train(resume_from_checkpoint=last_checkpoint(workdir))
        trainer.accelerator.wait_for_everyone()
        if trainer.is_world_process_zero():
            prune_resume_state(workdir)
            write_json(workdir / DONE_FILE, {"job": self._job(env), "epochs": {
                epoch_key(e): d for e, d in read_epochs(workdir).items()}})
        trainer.accelerator.wait_for_everyone()

    def _job(self, env: TrainEnv) -> dict:
        job = {"trainer": self.name, "base_path": str(env.base_path), "seed": env.seed,
               "config": json.loads(json.dumps(asdict(self.config)))}
        if self.config.dtype != "auto":  # "fast" resolves per machine: a resume must match
            import torch

            job["base_dtype"] = self.base_dtype(torch.cuda.is_available())
        return job

    def _claim(self, workdir: Path, env: TrainEnv) -> None:
        """Record the job in the workdir, refusing one that holds another job's checkpoints."""
        path, job = workdir / JOB_FILE, self._job(env)
        if path.exists() and json.loads(path.read_text()) != job:
            raise WarmregError(f"{workdir} holds checkpoints of a different training job "
                               f"(see {path}); use a fresh workdir")
        if _rank() == 0:
            write_json(path, job)

    def _read_done(self, workdir: Path) -> dict | None:
        path = workdir / DONE_FILE
        if not path.exists():
            return None
        done = json.loads(path.read_text())
        if done["job"]["config"] != json.loads(json.dumps(asdict(self.config))):
            raise WarmregError(f"{workdir} holds a finished job with a different config "
                               f"(see {path}); use a fresh workdir")
        return done

    def _variant(self, base: ModelSpec, variant: str, env: TrainEnv, done: dict) -> ModelVariant:
        workdir = Path(env.workdir).resolve()
        checkpoints = tuple(sorted((float(e), str(workdir / d)) for e, d in done["epochs"].items()))
        by_epoch = dict(checkpoints)
        epoch = self.config.evaluate_epoch
        if epoch not in by_epoch:  # a max_steps run that stopped before evaluate_epoch
            epoch = checkpoints[-1][0]
            warnings.warn(f"{self.name}: training stopped at epoch {epoch:g}, before "
                          f"evaluate_epoch {self.config.evaluate_epoch:g}; using the last checkpoint")
        params = asdict(self.config)
        return ModelVariant(
            model=base, variant=variant, trainer=self.name, weights=by_epoch[epoch],
            weights_kind="full" if self.config.full_parameter else "lora",
            checkpoint_epoch=epoch, checkpoints=checkpoints, params=params,
            base_path=env.base_path,
            fingerprint=variant_fingerprint(env.base_path, self.name, params, by_epoch[epoch]))


class SFTWarm(SFT):
    """LoRA SFT on the warm rewrites (entry point ``sft-warm``)."""

    persona = "warm"
    name = "sft-warm"


class SFTCold(SFT):
    """LoRA SFT on the cold rewrites (entry point ``sft-cold``)."""

    persona = "cold"
    name = "sft-cold"


PERSONAS = {"warm": SFTWarm, "cold": SFTCold}


def _known_types(types) -> tuple[str, ...]:
    types = (types,) if isinstance(types, str) else tuple(types)
    unknown = [t for t in types if t not in TYPES]
    if unknown or not types:
        raise InvalidConfig(f"conversation_types must be a non-empty list of {list(TYPES)}, "
                            f"got {list(types)}")
    return types


def config_text(value: str) -> str:
    """``--config``'s JSON: the text itself when it is a JSON object, else a file's text
    (a long JSON text is no file name: asking the file system about it raises)."""
    return value if value.lstrip().startswith("{") else Path(value).read_text()


def _forward(stream, log_metrics) -> None:
    """Pass the complete lines a child has added to ``stream`` to ``log_metrics``."""
    while True:
        position = stream.tell()
        line = stream.readline()
        if not line.endswith("\n"):  # nothing new, or a line still being written
            stream.seek(position)
            return
        point = json.loads(line)
        log_metrics(point["metrics"], point["step"])


def _die_with_parent() -> None:
    """In a child before exec: on Linux, SIGTERM it when its parent dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _metrics_writer(path: str):
    """``log_metrics`` for a child process: one JSON line per log, flushed at once."""
    def write(metrics, step):
        with open(path, "a") as out:
            out.write(json.dumps({"step": step, "metrics": dict(metrics)}) + "\n")
    return write


_WORLD_SIZE = ("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")  # as launchers announce it


def world_size() -> int:
    """Processes in this job, as the launcher (accelerate, torchrun, MPI) announces it."""
    return _env_int(*_WORLD_SIZE, default=1)


def launched() -> bool:
    """Whether a launcher (accelerate, torchrun, MPI) started this process."""
    return any(os.environ.get(name) for name in _WORLD_SIZE)


def _rank() -> int:
    return _env_int("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", default=0)


def _env_int(*names: str, default: int) -> int:
    return next((int(os.environ[n]) for n in names if os.environ.get(n)), default)


def last_checkpoint(output_dir: str | Path) -> str | None:
    """The latest complete ``checkpoint-N`` (its trainer state written last) to resume from."""
    steps = [(checkpoint_step(p), p) for p in Path(output_dir).glob(f"{CHECKPOINT_PREFIX}*")
             if (p / "trainer_state.json").exists()]
    steps = [(s, p) for s, p in steps if s is not None]
    return str(max(steps)[1]) if steps else None


def at_epoch(variant: ModelVariant, epoch: float) -> ModelVariant:
    """The same trained variant at another of its checkpoints (:meth:`ModelVariant.at_checkpoint`)."""
    return variant.at_checkpoint(epoch)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m warmreg.trainers.sft``: train one persona; print the variant as JSON."""
    from warmreg.config import build
    from warmreg.models import resolve

    parser = argparse.ArgumentParser(prog="python -m warmreg.trainers.sft", description=main.__doc__)
    parser.add_argument("--base", required=True, help="base model: local dir or recipe name")
    parser.add_argument("--persona", required=True, choices=sorted(PERSONAS))
    parser.add_argument("--workdir", required=True, help="job directory (reuse it to resume)")
    parser.add_argument("--config", default="{}", help="SFT settings as JSON text or a JSON file")
    parser.add_argument("--seed", type=int, default=0)
    # the runner's child process: the trainer class (a plugin's SFT subclass) and where
    # its metrics go
    parser.add_argument("--trainer", help=argparse.SUPPRESS)
    parser.add_argument("--metrics", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    text = config_text(args.config)
    cls = PERSONAS[args.persona]
    if args.trainer:
        module, _, name = args.trainer.partition(":")
        cls = getattr(importlib.import_module(module), name)
    try:
        config = build(cls.Config, json.loads(text), f"--config ({cls.name})")
        log = _metrics_writer(args.metrics) if args.metrics else (lambda metrics, step: None)
        env = TrainEnv(workdir=Path(args.workdir), seed=args.seed, base_path=resolve(args.base),
                       log_metrics=log)
        variant = cls(config, in_process=True).train(
            ModelSpec(name=Path(args.base).name, path=args.base), args.persona, env)
    except WarmregError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C reaches the runner and its training child alike
        return 130
    if _rank() == 0:
        print(json.dumps(asdict(variant), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
