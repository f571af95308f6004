"""Cost of logging MLflow's own objects (datasets, logged models, traces, tables, note).

Runs a recipe twice from empty work directories, in this process: once as it is
(baseline: traces, datasets and logged models on) and once with ``tracking.traces=none``
and ``tracking.datasets=false``. For the first run it also times every call into
:mod:`warmreg.run.publish` (the only code that writes those objects), so the share of wall
time they take is measured directly, not inferred from two noisy wall times::

    python benchmarks/bench_tracking.py                       # recipes/smoke.yaml
    python benchmarks/bench_tracking.py --recipe recipes/demo.yaml --set tasks.triviaqa.limit=20

Prints wall times, seconds inside ``publish`` per function, and the overhead in percent.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(recipe_path: str, overrides: list[str], timed: dict | None) -> float:
    """Wall seconds of one run from an empty workdir (publish calls timed into ``timed``)."""
    from warmreg import recipe
    from warmreg.run import publish, runner

    originals = {}
    if timed is not None:
        for name in ("log_checkpoints", "log_training_set", "log_task_samples", "log_traces",
                     "log_report"):
            originals[name] = getattr(publish, name)
            setattr(publish, name, _timer(originals[name], name, timed))
    workdir = tempfile.mkdtemp(prefix="warmreg-bench-tracking-")
    loaded = recipe.load(recipe_path, (f"workdir={workdir}", *overrides))
    start = time.perf_counter()
    try:
        runner.run(loaded, echo=lambda message: None)
    finally:
        for name, function in originals.items():
            setattr(publish, name, function)
    return time.perf_counter() - start


def _timer(function, name: str, timed: dict):
    @functools.wraps(function)
    def timed_call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timed[name] += time.perf_counter() - start
    return timed_call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default=str(ROOT / "recipes" / "smoke.yaml"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="recipe override for both runs (repeatable)")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_TRACKING_URI",
                          f"sqlite:///{tempfile.mkdtemp(prefix='warmreg-bench-mlflow-')}/mlflow.db")
    timed: dict[str, float] = defaultdict(float)
    with_objects = run_once(args.recipe, args.set, timed)
    without = run_once(args.recipe, [*args.set, "tracking.traces=none",
                                     "tracking.datasets=false"], None)
    inside = sum(timed.values())
    print(f"recipe {args.recipe} {' '.join(args.set)}")
    print(f"  with MLflow objects:            {with_objects:8.1f} s wall")
    print(f"  traces and datasets off:        {without:8.1f} s wall (baseline)")
    for name, seconds in sorted(timed.items(), key=lambda kv: -kv[1]):
        print(f"    publish.{name:<20} {seconds:8.2f} s")
    print(f"  inside publish: {inside:.1f} s = {100 * inside / with_objects:.1f}% of the run; "
          f"wall difference {100 * (with_objects - without) / without:+.1f}% (noisy: both runs "
          f"train and generate from scratch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
