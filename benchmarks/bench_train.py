"""Training throughput: warmreg's ``sft-warm`` against a plain TRL ``SFTTrainer``, and the
share of real (non-padding) tokens with and without length-grouped batches.

Part 1, padding (no training): the micro-batches of one epoch at the demo's settings
(all conversations, batch ``--pad-batch``, ``--pad-max-length``), in the order TRL's random
sampler gives and in warmreg's length-grouped order (:mod:`warmreg.trainers.batching`);
printed as the share of real tokens in the padded batches.

Part 2, time: both train the same LoRA (r=8, all-linear) on the same warm examples of the bundled
persona set, batch 4, no accumulation, for a handful of steps, on SmolLM2-135M-Instruct
(or ``--model``). The difference is what warmreg adds: fractional-epoch checkpoint
bookkeeping, metric streaming and progress callbacks, per-step logging. Runs alternate
(ours, plain, ours, plain, ...) so that load on a shared machine hits both alike; each
run's median time between step ends is taken, leaving out the first ``--warmup``
intervals (the final checkpoint save comes after the last interval), and the best run
of each side is compared (the least disturbed by other work on a shared machine).
warmreg runs twice, with length-grouped batches (its default) and with
``group_by_length: false`` (the same random order as plain TRL): s/step compares the
overhead; seconds per 1,000 real tokens (the timed steps' non-padding tokens, counted in
the collator) compares the work done.

    .venv/bin/python benchmarks/bench_train.py --steps 9 --repeats 2

Targets: ours (random order) within 5% of plain per step; at least 90% real tokens with
length-grouped batches.

With ``--precision`` it measures instead the demo's training settings against the study's
defaults: the frozen base in float32 or ``dtype: fast`` (bfloat16 where the CPU has it),
LoRA dropout 0.1 or 0, batches padded to a multiple of 8 tokens or only to their longest
example, at the demo's batch (its examples per pass, 16 per step, max length 256). Each setting trains
in its own process, so its peak resident memory is its own; the first (float32, dropout
0.1) is the baseline the others are compared to in the same run. Unpadded lengths grow the
process step after step (new CPU kernels per length), so give it a dozen steps:

    .venv/bin/python benchmarks/bench_train.py --precision --steps 12

``--precision --per-device 2 1`` compares the demo's setting at 2 and 1 examples a pass
(still 16 a step): the activations, and so the training process's peak, scale with it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from transformers import TrainerCallback

from warmreg.api import ModelSpec, TrainEnv
from warmreg.models import SMOLLM2, resolve
from warmreg.trainers.batching import real_token_share
from warmreg.trainers.sft import SFTConfig, SFTWarm


class StepClock(TrainerCallback):
    """Wall time of each optimizer step (end of one step to the end of the next), and the
    real tokens of each step (counted by :class:`CountingCollator`)."""

    def __init__(self):
        self.ends: list[float] = []
        self.tokens: list[int] = []  # real tokens collated so far, at each step end
        self.collated = 0

    def on_step_end(self, args, state, control, **kwargs):
        self.ends.append(time.perf_counter())
        self.tokens.append(self.collated)

    def seconds_per_step(self, warmup: int) -> float:
        gaps = [b - a for a, b in zip(self.ends, self.ends[1:])][warmup:]
        return statistics.median(gaps)

    def seconds_per_k_tokens(self, warmup: int) -> float:
        """Wall time of the timed steps over their real tokens, per 1,000 tokens."""
        first = warmup  # the timed intervals run from step end `warmup` to the last
        seconds = self.ends[-1] - self.ends[first]
        tokens = self.tokens[-1] - self.tokens[first]
        return 1000 * seconds / tokens


class CountingCollator:
    """Wraps a data collator; adds each batch's real tokens to the clock."""

    def __init__(self, collator, clock: StepClock):
        self.collator, self.clock = collator, clock

    def __call__(self, examples):
        batch = self.collator(examples)
        self.clock.collated += int(batch["attention_mask"].sum()) if "attention_mask" in batch \
            else sum(len(e["input_ids"]) for e in examples)
        return batch


class Counted(SFTWarm):
    """``sft-warm`` whose trainer counts the real tokens it collates."""

    def __init__(self, config, clock: StepClock):
        super().__init__(config, callbacks=[clock])
        self.clock = clock

    def make_trainer(self, env, callbacks=()):
        trainer = super().make_trainer(env, callbacks)
        trainer.data_collator = CountingCollator(trainer.data_collator, self.clock)
        return trainer


def config(args) -> SFTConfig:
    # checkpoint epoch far away: only the last step saves, after the last timed interval
    return SFTConfig(limit=args.conversations, per_device_batch_size=4, effective_batch_size=4,
                     max_length=args.max_length, max_steps=args.steps, epochs=100.0,
                     checkpoint_epochs=(100.0,), evaluate_epoch=100.0)


def run_ours(base: str, args, workdir: Path, grouped: bool = True) -> StepClock:
    clock = StepClock()
    env = TrainEnv(workdir=workdir, seed=0, base_path=base, log_metrics=lambda m, s: None)
    Counted(replace(config(args), group_by_length=grouped), clock).train(
        ModelSpec("base", base), "warm", env)
    return clock


def padding_shares(base: str, args) -> dict[str, float]:
    """Real-token share of one epoch's micro-batches, TRL's random order vs grouped."""
    shares = {}
    for name, grouped in (("random (TRL default)", False), ("length-grouped", True)):
        cfg = SFTConfig(per_device_batch_size=args.pad_batch, effective_batch_size=args.pad_batch,
                        max_length=args.pad_max_length, group_by_length=grouped, epochs=1.0,
                        checkpoint_epochs=(1.0,), evaluate_epoch=1.0)
        with tempfile.TemporaryDirectory() as tmp:
            env = TrainEnv(workdir=Path(tmp), seed=0, base_path=base)
            trainer = SFTWarm(cfg).make_trainer(env)
            batches = [[int(m.sum()) for m in batch["attention_mask"]]
                       for batch in trainer.get_train_dataloader()]
        shares[name] = real_token_share(batches)
    return shares


def run_plain(base: str, args, workdir: Path) -> StepClock:
    """The script a researcher would write with TRL and PEFT alone."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoTokenizer
    from trl import SFTConfig as TRLConfig
    from trl import SFTTrainer

    clock = StepClock()
    trainer = SFTTrainer(
        model=base, train_dataset=Dataset.from_list(SFTWarm(config(args)).examples()),
        processing_class=AutoTokenizer.from_pretrained(base),
        peft_config=LoraConfig(r=8, lora_alpha=16, lora_dropout=0.1, target_modules="all-linear",
                               task_type="CAUSAL_LM"),
        args=TRLConfig(output_dir=str(workdir), per_device_train_batch_size=4,
                       max_steps=args.steps, learning_rate=1e-5, max_length=args.max_length,
                       activation_checkpointing=False, bf16=False, use_cpu=True, seed=0,
                       save_strategy="no", report_to="none", disable_tqdm=True),
        callbacks=[clock])
    trainer.data_collator = CountingCollator(trainer.data_collator, clock)
    trainer.train()
    return clock


PRECISIONS = (("float32", 0.1, 8), ("float32", 0.0, 8), ("fast", 0.1, 8), ("fast", 0.0, 8),
              ("fast", 0.0, None))


def demo_warm_config() -> SFTConfig:
    """The warm persona's training config in recipes/demo.yaml (batch, length, data mix)."""
    from warmreg.recipe.load import load

    recipe = load(Path(__file__).resolve().parent.parent / "recipes" / "demo.yaml")
    return dict(zip(recipe.persona_names, recipe.personas_for(recipe.models[0].name)))["warm"].config


def run_precision(base: str, args, dtype: str, dropout: float, pad: int | None,
                  per_device: int) -> dict:
    """One setting at the demo's 16 examples a step, ``per_device`` a pass, in this
    process: s/step, s/1k real tokens, peak RSS."""
    import resource

    clock = StepClock()
    cfg = replace(demo_warm_config(), max_steps=args.steps, epochs=100.0,
                  checkpoint_epochs=(100.0,), evaluate_epoch=100.0, dtype=dtype,
                  lora_dropout=dropout, pad_to_multiple_of=pad, per_device_batch_size=per_device)
    with tempfile.TemporaryDirectory() as tmp:
        env = TrainEnv(workdir=Path(tmp), seed=0, base_path=base, log_metrics=lambda m, s: None)
        Counted(cfg, clock).train(ModelSpec("base", base), "warm", env)
    return {"s_step": clock.seconds_per_step(args.warmup),
            "s_k": clock.seconds_per_k_tokens(args.warmup),
            "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}


def precision_table(args) -> None:
    """Each of :data:`PRECISIONS` (or, with ``--per-device``, the demo's setting at each
    per-device batch) in a fresh process; compared with the first."""
    import json
    import subprocess
    import sys

    from warmreg.models import resolve_dtype

    demo_per_device = demo_warm_config().per_device_batch_size
    settings = [(*PRECISIONS[0], b) for b in args.per_device] if args.per_device else \
        [(*p, demo_per_device) for p in PRECISIONS]
    print(f"demo batch (16 a step, max_length 256), {args.steps - 1 - args.warmup} "
          f"timed steps; 'fast' is {resolve_dtype('fast', 'cpu')} on this CPU")
    print(f"{'base dtype':12}{'dropout':>8}{'pad to':>8}{'a pass':>7}{'s/step':>8}{'s/1k tok':>10}"
          f"{'peak GB':>9}{'vs first':>10}")
    first = None
    for dtype, dropout, pad, per_device in settings:
        out = subprocess.run([sys.executable, __file__, "--one", dtype, str(dropout), str(pad),
                              str(per_device), "--steps", str(args.steps), "--warmup",
                              str(args.warmup), "--model", args.model],
                             capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        first = first or row
        print(f"{dtype:12}{dropout:8.1f}{pad or 'longest':>8}{per_device:>7}{row['s_step']:8.2f}"
              f"{row['s_k']:10.3f}{row['rss_gb']:9.2f}{row['s_step'] / first['s_step']:9.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=SMOLLM2)
    parser.add_argument("--steps", type=int, default=9, help="steps per run")
    parser.add_argument("--warmup", type=int, default=1, help="step intervals not timed")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--conversations", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--pad-batch", type=int, default=8, help="padding part: batch (demo's)")
    parser.add_argument("--pad-max-length", type=int, default=256, help="padding part: max length")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--precision", action="store_true",
                        help="compare base dtype, LoRA dropout and padding at the demo's settings instead")
    parser.add_argument("--per-device", type=int, nargs="+", metavar="N",
                        help="with --precision: the demo's setting at these per-device batches")
    parser.add_argument("--one", nargs=4, metavar=("DTYPE", "DROPOUT", "PAD", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        import json

        dtype, dropout, pad, per_device = args.one
        print(json.dumps(run_precision(resolve(args.model), args, dtype, float(dropout),
                                       None if pad == "None" else int(pad),
                                       int(per_device))))
        return
    if args.precision:
        precision_table(args)
        return
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    base = resolve(args.model)
    shares = padding_shares(base, args)
    print(f"real tokens in one epoch's batches (all conversations, batch {args.pad_batch}, "
          f"max_length {args.pad_max_length}):")
    for name, share in shares.items():
        print(f"  {name:22}{share:7.1%}")
    runs = {"warmreg, grouped": [], "warmreg, random": [], "plain SFT": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            runs["warmreg, grouped"].append(run_ours(base, args, Path(tmp) / f"grouped{i}"))
            runs["warmreg, random"].append(run_ours(base, args, Path(tmp) / f"ours{i}", False))
            runs["plain SFT"].append(run_plain(base, args, Path(tmp) / f"plain{i}"))
    print(f"model {Path(base).name}, batch 4, max_length {args.max_length}, "
          f"{args.steps - 1 - args.warmup} timed steps x {args.repeats} runs, "
          f"{torch.get_num_threads()} threads; best run of each (least disturbed)")
    print(f"{'':18}{'s/step':>8}{'s/1k real tok':>15}  s/step of each run")
    best = {}
    for name, clocks in runs.items():
        steps = [c.seconds_per_step(args.warmup) for c in clocks]
        per_k = min(c.seconds_per_k_tokens(args.warmup) for c in clocks)
        best[name] = min(steps)
        print(f"{name:18}{min(steps):8.3f}{per_k:15.3f}  {' '.join(f'{x:.3f}' for x in steps)}")
    ratio = best["warmreg, random"] / best["plain SFT"]
    print(f"overhead: warmreg (random order) / plain {ratio:.3f} "
          f"({'within' if abs(ratio - 1) <= 0.05 else 'outside'} the 5% target)")
    grouped = shares["length-grouped"]
    print(f"length-grouped real-token share {grouped:.1%} "
          f"({'meets' if grouped >= 0.9 else 'misses'} the 90% target)")


if __name__ == "__main__":
    main()
