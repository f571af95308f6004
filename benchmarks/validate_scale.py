"""How validation cost grows with a recipe's size: 10 to 10,000 models, variants, contexts.

Each case writes the smoke recipe with one list grown to N entries and times
``warmreg validate`` on it in-process (the CLI's entry function, best of ``--repeat``):

- models: N distinct models (valid);
- variants: N system-prompt personas (valid);
- contexts: N contexts cycling through the nine real ones (rejected: a duplicate);
- contexts-unknown: N distinct unknown context names (rejected at the first).

The 10 case of each kind is the baseline the others are compared with, in the same run:
linear cost shows as ``per entry`` staying flat. Target: every case under 2 s.

    .venv/bin/python benchmarks/validate_scale.py
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

import yaml

from warmreg.cli import main

SMOKE = Path(__file__).resolve().parent.parent / "recipes" / "smoke.yaml"
CONTEXTS = ["none", "emotion:sad", "emotion:happy", "emotion:angry", "relation:close",
            "relation:up", "relation:down", "stakes:high", "stakes:low"]
TARGET_S = 2.0


def grown(kind: str, n: int) -> dict:
    """The smoke recipe with one list grown to ``n`` entries."""
    raw = yaml.safe_load(SMOKE.read_text())
    if kind == "models":
        raw["models"] = [{"name": f"m{i}", "path": "warmreg/tiny-random-llama"} for i in range(n)]
    elif kind == "variants":
        raw["personas"] = {f"p{i}": {"trainer": "system-prompt", "persona": "warm"} for i in range(n)}
    elif kind == "contexts":
        raw["contexts"] = [CONTEXTS[i % len(CONTEXTS)] for i in range(n)]
    elif kind == "contexts-unknown":
        raw["contexts"] = [f"mood:x{i}" for i in range(n)]
    return raw


def time_validate(path: Path, repeat: int) -> tuple[float, int]:
    best, code = float("inf"), -1
    for _ in range(repeat):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            start = time.perf_counter()
            code = main(["validate", str(path)])
            best = min(best, time.perf_counter() - start)
    return best, code


def main_(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    worst = 0.0
    print(f"{'kind':<17} {'N':>6} {'exit':>4} {'seconds':>8} {'x base':>7} {'ms/entry':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("models", "variants", "contexts", "contexts-unknown"):
            base = None
            for n in sizes:
                path = Path(tmp) / f"{kind}-{n}.yaml"
                path.write_text(yaml.safe_dump(grown(kind, n)))
                seconds, code = time_validate(path, args.repeat)
                base = base or seconds
                worst = max(worst, seconds)
                print(f"{kind:<17} {n:>6} {code:>4} {seconds:>8.3f} {seconds / base:>7.1f} "
                      f"{1000 * seconds / n:>9.3f}")
    print(f"\nslowest case {worst:.2f} s (target < {TARGET_S:g} s): {'ok' if worst < TARGET_S else 'SLOW'}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main_())
