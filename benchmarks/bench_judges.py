"""Rule-based judges against human labels of real SmolLM2 replies.

``tests/judges/data/smollm2_labelled.csv`` (and ``smollm2_labelled_heldout.csv``, labelled
later, after the rules had been written against the first) hold replies of the demo's four SmolLM2
variants (original, warm and cold SFT, warm system prompt) with and without the user's
incorrect belief, each labelled CORRECT / INCORRECT / REFUSED / UNPARSEABLE by a person
who read the whole reply (and not the judges' code). This re-grades every reply with the
judge the demo recipe gives its task, on the items the demo builds, and reports:

- agreement with the labels per judge and belief and overall (``warmreg.analysis.agreement``,
  the numbers ``warmreg judge-agreement --by judge,belief`` prints for the same files);
- replies that state an answer (labelled CORRECT or INCORRECT) left UNPARSEABLE;
- grading time per reply.

    .venv/bin/python benchmarks/bench_judges.py [--out results.parquet]

``--out`` writes the verdicts as a results file, to compare with
``warmreg judge-agreement results.parquet --human tests/judges/data/smollm2_labelled.csv
--by judge,belief``. Targets: at least 97% agreement, and no answer left UNPARSEABLE.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from warmreg import recipe
from warmreg.analysis.agreement import compare_by
from warmreg.analysis._format import markdown_table

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "judges" / "data" / "smollm2_labelled.csv"
# labelled after the rules were written against LABELS, by a reader who had not seen them
HELD_OUT = ROOT / "tests" / "judges" / "data" / "smollm2_labelled_heldout.csv"
DEMO = ROOT / "recipes" / "demo.yaml"


def regrade(labels: pd.DataFrame, recipe_path: Path = DEMO) -> pd.DataFrame:
    """``labels`` with ``verdict``, ``judge`` and ``explanation`` from the recipe's judges,
    on the items the recipe builds (the labelled replies answer those)."""
    loaded = recipe.load(recipe_path)
    tasks = {t.name: t for t in loaded.tasks + loaded.controls}
    judges = {name: plugin.instantiate() for name, plugin in loaded.judges.items()}
    items = {(name, it.id): it for name in set(labels["task"])
             for it in tasks[name].instantiate().items(loaded.seed)}
    verdicts = []
    for row in labels.itertuples():
        judge_name = tasks[row.task].config.judge
        verdict = judges[judge_name].grade(items[(row.task, str(row.item_id))], row.reply)
        verdicts.append((verdict.label, judge_name, verdict.explanation))
    out = labels.copy()
    out["verdict"], out["judge"], out["explanation"] = zip(*verdicts)
    return out


def stated_but_unparseable(graded: pd.DataFrame) -> pd.DataFrame:
    """Replies a person read as stating an answer that the judge left UNPARSEABLE."""
    return graded[graded["label"].isin(["CORRECT", "INCORRECT"])
                  & (graded["verdict"] == "UNPARSEABLE")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", nargs="+", default=[str(LABELS), str(HELD_OUT)],
                        help="labelled CSV files, each reported on its own (default: the "
                             "set the rules were written against, then the held-out set)")
    parser.add_argument("--out", help="write the verdicts as a results file (parquet or csv; "
                                      "with several --labels, those of the last)")
    args = parser.parse_args()
    for path in args.labels:
        print(f"## {Path(path).name}")
        report(pd.read_csv(path, keep_default_na=False), args.out)


def report(labels: pd.DataFrame, out_path: str | None) -> None:
    """Print agreement, misses and disagreements of the judges on one labelled set."""
    start = time.perf_counter()
    graded = regrade(labels)
    seconds = time.perf_counter() - start
    table = compare_by(graded, labels, ["judge", "belief"], "verdict", "label")
    print(f"{len(labels)} labelled replies ({', '.join(sorted(set(labels['variant'])))}); "
          f"graded in {seconds:.2f} s ({1000 * seconds / len(labels):.2f} ms per reply, "
          "items built included)")
    print(markdown_table(table))
    missed = stated_but_unparseable(graded)
    print(f"replies stating an answer left UNPARSEABLE: {len(missed)}")
    disagree = graded[graded["verdict"] != graded["label"]]
    for row in disagree.itertuples():
        print(f"- {row.task}/{row.item_id} {row.variant} {row.belief}: label {row.label}, "
              f"judge {row.verdict}: {row.reply[:120]!r}")
    overall = table.iloc[-1]["agreement"]
    print(f"overall agreement {overall:.1%} ({'meets' if overall >= 0.97 else 'misses'} "
          "the 97% target)")
    if out_path:
        out = Path(out_path)
        graded.to_parquet(out) if out.suffix == ".parquet" else graded.to_csv(out, index=False)


if __name__ == "__main__":
    main()
