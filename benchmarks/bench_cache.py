"""What a re-run costs: the store-cached second pass against the first, and cache lookups at the study's size.

Part 1 runs the evaluation path a recipe uses (:func:`warmreg.cache.evaluate.generate` then
:func:`warmreg.cache.evaluate.judge`, through a fresh :class:`~warmreg.cache.store.Store`) on the
generation benchmark's chat prompts with SmolLM2 (``--model tiny`` for the random tiny
model), twice: the first pass generates and judges everything, the second must find
everything in the store. Target: the second pass takes at most 5% of the first.

Part 2 fills a store with ``--rows`` synthetic generations and verdicts and times the
lookup of all of them with the same key functions: the cost of a re-run at the study's
scale (~440,000 generations and as many verdicts for five models).

    .venv/bin/python benchmarks/bench_cache.py                 # SmolLM2, ~1 minute
    .venv/bin/python benchmarks/bench_cache.py --rows 440000   # the study's size
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_generate  # noqa: E402

from warmreg.api import Generation, GenerationParams, Item, ModelSpec, ModelVariant, Prompt  # noqa: E402
from warmreg.backends.hf import Config, HFBackend  # noqa: E402
from warmreg.cache.evaluate import generate, generation_key, judge, verdict_key  # noqa: E402
from warmreg.judges.answer_match import AnswerMatch  # noqa: E402
from warmreg.models import SMOLLM2, TINY  # noqa: E402
from warmreg.cache.store import Store  # noqa: E402


def prompts(n: int) -> list[Prompt]:
    """The generation benchmark's conversations as task prompts with an answer key."""
    out = []
    for i, conv in enumerate(bench_generate.conversations(n)):
        question, wrong = bench_generate.QUESTIONS[i % len(bench_generate.QUESTIONS)]
        item = Item("bench", f"q{i}", question, correct=("see key",), incorrect=wrong)
        out.append(Prompt(item, "none", "none", tuple(conv)))
    return out


def one_pass(store: Store, backend, variant, items: list[Prompt], params) -> float:
    start = time.perf_counter()
    gens = generate(store, backend, variant, items, lambda p: params, "bench")
    judge(store, {"answer-match": AnswerMatch()}, lambda item: "answer-match", items, gens,
          "bench")
    return time.perf_counter() - start


def rerun(args) -> None:
    path = TINY if args.model == "tiny" else args.model
    variant = ModelVariant(ModelSpec("bench", path), "original", "original")
    backend = HFBackend(Config())
    backend.load(variant)  # loading the model is not part of either pass
    items = prompts(args.prompts)
    params = GenerationParams(max_new_tokens=args.max_new)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store.sqlite") as store:
        first = one_pass(store, backend, variant, items, params)
        second = one_pass(store, backend, variant, items, params)
        counts = store.counts()
    print(f"\n{len(items)} prompts, {args.max_new} new tokens, {Path(path).name}; "
          f"load {_load()}")
    print(f"first pass (generate + judge, stored):  {first:8.2f} s   "
          f"({counts['generations']} generations, {counts['verdicts']} verdicts stored)")
    print(f"second pass (everything from the store): {second:8.3f} s   "
          f"= {100 * second / first:.2f}% of the first (target <= 5%)")


def lookups(rows: int) -> None:
    variant = ModelVariant(ModelSpec("bench", "bench-model"), "sft-warm", "sft-warm")
    params = GenerationParams(max_new_tokens=256)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store.sqlite") as store:
        start = time.perf_counter()
        convs = [({"role": "user", "content": f"Question number {i}: what is {i} + {i}?"},)
                 for i in range(rows)]
        items = [Item("bench", f"q{i}", f"what is {i} + {i}?", (str(2 * i),), str(i))
                 for i in range(rows)]
        gkeys = [generation_key(variant, "fp", c, params) for c in convs]
        vkeys = [verdict_key("judge-fp", item, f"It is {2 * i}.") for i, item in enumerate(items)]
        hashing = time.perf_counter() - start
        start = time.perf_counter()
        with store._db:  # one transaction: filling is set-up, not what is measured
            store._db.executemany(
                "INSERT INTO generations VALUES (?, ?, 10, 5, 'stop', '{}')",
                [(k, f"It is {2 * i}.") for i, k in enumerate(gkeys)])
            store._db.executemany("INSERT INTO verdicts VALUES (?, 'CORRECT', 'bench', '')",
                                  [(k,) for k in vkeys])
        fill = time.perf_counter() - start
        start = time.perf_counter()
        found_g = store.generations(gkeys)
        found_v = store.verdicts(vkeys)
        lookup = time.perf_counter() - start
        assert len(found_g) == len(found_v) == rows
        assert isinstance(next(iter(found_g.values())), Generation)
    print(f"\n{rows} generations + {rows} verdicts: keys hashed in {hashing:.2f} s, "
          f"looked up in {lookup:.2f} s ({1e6 * lookup / (2 * rows):.1f} us per result); "
          f"store filled in {fill:.2f} s (set-up)")


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=SMOLLM2, help="model path or hub id, or 'tiny'")
    p.add_argument("--prompts", type=int, default=96)
    p.add_argument("--max-new", type=int, default=48)
    p.add_argument("--rows", type=int, default=100_000,
                   help="synthetic results for the lookup part (0 skips it)")
    args = p.parse_args(argv)
    rerun(args)
    if args.rows:
        lookups(args.rows)


if __name__ == "__main__":
    main()
