"""The ``warmreg`` command line.

Errors the user can fix (bad recipe, unknown plugin, bad results file) print one line
naming the file and key and exit with their code (2 for configuration) — no traceback.
Every log line, error line and traceback of the process is scrubbed of API keys
(:mod:`warmreg.secrets`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import warnings

from warmreg import secrets
from warmreg.errors import Terminated, WarmregError


def _cmd_validate(args) -> int:
    import contextlib

    from warmreg import recipe
    from warmreg.config import without_engine_checks

    for path in args.recipes:
        with without_engine_checks() if args.no_engines else contextlib.nullcontext():
            loaded = recipe.load(path, _overrides(args))
        print(f"{path}: ok ({len(loaded.models)} models, {len(loaded.personas)} variants, "
              f"{len(loaded.tasks)} tasks, {len(loaded.controls)} controls, "
              f"{len(loaded.contexts)} contexts x {len(loaded.beliefs)} beliefs)")
    return 0


def _cmd_plan(args) -> int:
    from warmreg import recipe
    from warmreg.config import without_engine_checks
    from warmreg.errors import ConfigError
    from warmreg.run import plan

    prices = {}
    for entry in args.price or ():
        name, _, values = entry.rpartition("=")
        try:
            prices[name] = tuple(float(v) for v in values.split(","))
        except ValueError:
            raise ConfigError(f"--price {entry}", "expected NAME=INPUT,OUTPUT[,TRAINING]") from None
    with without_engine_checks():
        loaded = recipe.load(args.recipe, _overrides(args))
    print(plan.render(plan.plan(loaded, prices)))
    return 0


def _overrides(args) -> tuple[str, ...]:
    return tuple(args.set or ()) + tuple((getattr(args, "set_list", "") or "").split())


def _cmd_run(args) -> int:
    from warmreg import recipe
    from warmreg.run import runner

    loaded = recipe.load(args.recipe, _overrides(args))
    result = runner.run(loaded, wait=args.wait)
    print(result.analysis.to_markdown())
    print(f"\n{result.analysis.headline()}")
    print(f"Report: {result.out_dir / 'summary.md'} (tables and figures beside it); "
          f"MLflow parent run {result.parent_run_id}")
    print(f"Browse: mlflow ui --backend-store-uri {result.tracking_uri}")
    print(f"  then open http://127.0.0.1:5000{result.ui_path}")
    return 0


def _cmd_plugins(args) -> int:
    from warmreg import registry

    rows = registry.inventory(import_check=not args.no_import)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for kind in registry.KINDS:
        print(f"{kind}:")
        for row in (r for r in rows if r["kind"] == kind):
            mark = f"  BROKEN: {row['error']}" if row["error"] else ""
            print(f"  {row['name']:<16} {row['dist']} {row['version']:<10} {row['target']}{mark}")
    return 1 if any(r["error"] for r in rows) and args.strict else 0


def _cmd_judge_agreement(args) -> int:
    import tempfile
    from pathlib import Path

    from warmreg.analysis import agreement
    from warmreg.run.tracking import Tracker

    first = agreement.read_labels(args.results, "verdict")
    other_path = args.human or args.judge
    second = agreement.read_labels(other_path, args.label_column if args.human else "verdict")
    second_col = args.label_column if args.human else "verdict"
    result = agreement.compare(first, second, "verdict", second_col)
    print(result.to_markdown())
    by = [c.strip() for c in (args.by or "").split(",") if c.strip()]
    groups = agreement.compare_by(first, second, by, "verdict", second_col) if by else None
    if groups is not None:
        from warmreg.analysis._format import markdown_table

        print(f"\nBy {', '.join(by)}:\n\n{markdown_table(groups)}")
    if args.experiment:
        tracker = Tracker(args.experiment)
        run_id = tracker.new_run("judge-agreement", {"warmreg.run_kind": "judge-agreement"})
        tracker.log_params(run_id, {"results": args.results, "other": other_path,
                                    "other_kind": "human" if args.human else "judge"})
        tracker.log_metrics(run_id, {"kappa": result.kappa, "kappa_ci_low": result.kappa_ci[0],
                                     "kappa_ci_high": result.kappa_ci[1],
                                     "agreement": result.agreement, "n": result.n})
        if groups is not None:
            from warmreg.keys import metric_name

            tracker.log_metrics(run_id, {
                metric_name("agreement", *(str(row[c]) for c in by)): row["agreement"]
                for _, row in groups.iterrows()})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "confusion.csv"
            result.confusion.to_csv(path)
            tracker.log_artifact(run_id, path)
        tracker.finish(run_id)
        print(f"\nLogged to MLflow run {run_id}")
    return 0


def _cmd_rewrite(args) -> int:
    import yaml

    from warmreg.errors import ConfigError
    from warmreg.persona.rewrite import rewrite

    try:
        backend_config = yaml.safe_load(args.backend_config) if args.backend_config else {}
    except yaml.YAMLError as exc:
        raise ConfigError("--backend-config", f"not valid YAML/JSON: {exc}") from None
    options = {k: v for k, v in (("max_chars", args.max_chars), ("max_new_tokens", args.max_new_tokens))
               if v is not None}
    out = rewrite(args.source, args.out_dir, backend=args.backend, backend_config=backend_config,
                  model=args.model, size=args.size, seed=args.seed, max_turns=args.max_turns,
                  **options)
    print(f"persona set written to {out}")
    return 0


def _cmd_analyze(args) -> int:

    from warmreg.analysis import analyze, load_results

    warmth = _read_warmth(args.warmth) if args.warmth else None
    results_path = _results_path(args.results, args.out)
    with _naming(results_path):
        results = load_results(results_path)
        result = analyze(results, reference=args.reference,
                         equivalence_margin_pp=args.margin, length_covariate=args.length_covariate,
                         cluster_by_item=args.cluster_by_item, warmth=warmth, spec=args.spec,
                         evaluate_epoch=args.evaluate_epoch,
                         refusal_correct_tasks=tuple(args.refusal_correct_task or ()))
    result.write(args.out)
    print(result.to_markdown())
    print(f"\nTables, figures and summary.md in {args.out}")
    return 0


def _cmd_import_study(args) -> int:
    from warmreg.analysis.import_study import import_study

    results, counts = import_study(args.directory)
    if args.out.endswith((".parquet", ".pq")):
        results.to_parquet(args.out, index=False)
    else:
        results.to_csv(args.out, index=False)
    print(f"{len(results)} rows from {len(counts)} files to {args.out} "
          f"({int(counts['refusals'].sum())} refusals by the study's filter, "
          f"{int(counts['dropped_correct_belief'].sum())} 'correct'-belief rows left out)")
    return 0


@contextlib.contextmanager
def _naming(path: str):
    """Prefix an analysis error with the results file it is about, once."""
    from warmreg.analysis.results import AnalysisError

    try:
        yield
    except AnalysisError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise type(exc)(f"{path}: {exc}") from None


def _read_warmth(path: str):
    import pandas as pd

    from warmreg.analysis.results import ResultsError

    from warmreg.analysis.warmth import validate_warmth

    try:
        return validate_warmth(pd.read_csv(path))
    except ResultsError as exc:
        raise ResultsError(f"{path}: {exc}") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ResultsError(f"{path}: cannot read the warmth table: {exc}") from None


def _results_path(results: str, out: str) -> str:
    """A results file as given, or the results of an MLflow parent run id."""
    from pathlib import Path

    if Path(results).exists() or not re.fullmatch(r"[0-9a-f]{32}", results):
        return results
    from warmreg.analysis.results import ResultsError
    from warmreg.run.tracking import download_results

    try:
        return str(download_results(results, Path(out) / "input"))
    except Exception as exc:  # MLflow raises several types for a missing run or artifact
        raise ResultsError(f"{results}: no such file, and no MLflow run with "
                           f"report/results.parquet ({exc})") from None


def _cmd_compare(args) -> int:
    from warmreg.analysis.runs import compare

    comparison, run_id = compare(args.experiment, args.out, reference=args.reference)
    print(comparison.to_markdown())
    print(f"\ncompare.csv, compare.md and compare.html (self-contained) in {args.out}; "
          f"also on MLflow run {run_id} (artifacts: compare/)")
    return 0


def _cmd_power(args) -> int:
    from warmreg.analysis import items_needed

    n = items_needed(args.baseline, args.effect_pp, alpha=args.alpha, power=args.power,
                     correlation=args.correlation)
    print(f"{n} items per cell detect a {args.effect_pp:+g} pp change from a {args.baseline:.0%} "
          f"error rate with power {args.power:g} at alpha {args.alpha:g} "
          f"(paired, exact McNemar, within-item correlation {args.correlation:g})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warmreg",
        description="Measure what a persona (warm, cold, a system prompt) does to a language "
                    "model's reliability: train or prompt persona variants, evaluate them on "
                    "reliability tasks across user contexts and beliefs, judge, analyse, and "
                    "log everything to MLflow.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a recipe end to end (resumes an interrupted run)")
    p.add_argument("recipe", help="recipe YAML file, e.g. recipes/demo.yaml")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a recipe value (YAML syntax), e.g. --set tasks.triviaqa.limit=20")
    p.add_argument("--set-list", default="", metavar="'K=V K=V'",
                   help="several overrides in one space-separated string (used by MLproject)")
    p.add_argument("--wait", action="store_true",
                   help="when another run holds the recipe's workdir, wait for it to finish, then "
                        "reuse its results (default: exit 2 naming that process)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="check recipes without running anything")
    p.add_argument("recipes", nargs="+", help="recipe YAML files")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="as for run")
    p.add_argument("--no-engines", action="store_true",
                   help="do not check that this machine has the recipe's engines (vLLM)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("plan", help="the work and cost a recipe implies, before it runs (no network)")
    p.add_argument("recipe", help="recipe YAML file")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="as for run")
    p.add_argument("--price", action="append", metavar="NAME=IN,OUT[,TRAIN]",
                   help="US$ per million tokens for a served, judge or fine-tuned model")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("analyze", help="analyse per-item results made by warmreg or any other pipeline")
    p.add_argument("results", help="CSV or Parquet with the columns of docs/results-format.md, "
                   "or the MLflow run id of a recipe's parent run")
    p.add_argument("--out", required=True, help="directory for tables, figures and summary.md")
    p.add_argument("--reference", default="original", help="reference variant (default: original)")
    p.add_argument("--margin", type=float, default=2.0, help="capability equivalence margin in pp")
    p.add_argument("--length-covariate", action="store_true", help="add response length to the main GLM")
    p.add_argument("--spec", choices=("warmreg", "study", "both"), default="warmreg",
                   help="warmreg's own GLMs, the study's released specification, or both "
                   "(docs/study-spec.md)")
    p.add_argument("--cluster-by-item", action=argparse.BooleanOptionalAction, default=True,
                   help="cluster-robust SEs by item in warmreg's GLMs (default: on)")
    p.add_argument("--evaluate-epoch", type=float, metavar="EPOCH",
                   help="warmth check: the evaluated checkpoint (default: the warmth table's "
                   "'evaluated' rows, else the results' checkpoint_epoch)")
    p.add_argument("--refusal-correct-task", action="append", default=None, metavar="TASK",
                   help="task where refusing counts as correct, beside those whose task plugin or "
                        "refusal_is_correct column says so (repeatable)")
    p.add_argument("--warmth", metavar="CSV", help="warmth check table (variant, epoch, score, ci_low, ci_high)")
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser("import-study", help="the study's released per-item outputs "
                       "(<model>/<variant>/<task>_<variant>_outputs.csv) as a results table")
    p.add_argument("directory", help="the study's repository or its sample_data folder")
    p.add_argument("--out", required=True, help="results file to write (.parquet or .csv)")
    p.set_defaults(func=_cmd_import_study)

    p = sub.add_parser("compare", help="one table across all models and variants of an MLflow experiment")
    p.add_argument("experiment", help="MLflow experiment name")
    p.add_argument("--out", default="compare", help="output directory (default: ./compare)")
    p.add_argument("--reference", default="original", help="reference variant")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("power", help="items per cell needed to detect an effect in the paired design")
    p.add_argument("--baseline", type=float, required=True, help="baseline error rate, e.g. 0.3")
    p.add_argument("--effect-pp", type=float, required=True, help="effect to detect, in percentage points")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--power", type=float, default=0.8, help="target power (default 0.8)")
    p.add_argument("--correlation", type=float, default=0.5,
                   help="within-item correlation of errors between variants (default 0.5)")
    p.set_defaults(func=_cmd_power)

    p = sub.add_parser("rewrite", help="build a warm/cold persona set from a conversation dataset")
    p.add_argument("source", help="hub dataset id, or a local JSON/JSONL file (ShareGPT or messages format)")
    p.add_argument("out_dir", help="output directory (conversations.jsonl, stats.json); re-run to resume")
    p.add_argument("--backend", default="openai", help="backend plugin that rewrites (default: openai)")
    p.add_argument("--backend-config", metavar="YAML", help="backend options as YAML/JSON, e.g. "
                   "'{base_url: http://127.0.0.1:8000/v1, api_key_env: REWRITER_KEY}'")
    p.add_argument("--model", required=True, help="rewriter model name or path")
    p.add_argument("--size", type=int, default=1617, help="conversations to sample (study: 1617)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--max-turns", type=int, default=20, help="truncate conversations to this many messages")
    p.add_argument("--max-chars", type=int, help="skip conversations longer than this")
    p.add_argument("--max-new-tokens", type=int, help="rewrite length limit per turn")
    p.set_defaults(func=_cmd_rewrite)

    p = sub.add_parser("judge-agreement",
                       help="Cohen's kappa (95%% CI) and confusion matrix of a judge vs human labels or another judge")
    p.add_argument("results", help="results file (CSV/Parquet) with a verdict column")
    other = p.add_mutually_exclusive_group(required=True)
    other.add_argument("--human", metavar="LABELS", help="CSV/Parquet of human labels on the same rows")
    other.add_argument("--judge", metavar="RESULTS", help="another judge's results on the same rows")
    p.add_argument("--label-column", default="label", help="column of the human labels (default: label)")
    p.add_argument("--by", default="", metavar="COLUMNS",
                   help="also report agreement per group of these comma-separated columns, e.g. judge,belief")
    p.add_argument("--experiment", default="warmreg-judge-agreement",
                   help="MLflow experiment to log to ('' to skip logging)")
    p.set_defaults(func=_cmd_judge_agreement)

    p = sub.add_parser("plugins", help="list installed plugins by kind, with their distributions")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-import", action="store_true", help="read metadata only, skip import checks")
    p.add_argument("--strict", action="store_true", help="exit 1 when any plugin is broken")
    p.set_defaults(func=_cmd_plugins)
    return parser


def _quiet_libraries() -> None:
    """Hide per-file progress bars and advisory warnings of the ML libraries.

    warmreg prints its own progress lines; set WARMREG_VERBOSE=1 to keep the libraries' output.
    """
    if os.environ.get("WARMREG_VERBOSE"):
        return
    for name, value in (("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("HF_DATASETS_DISABLE_PROGRESS_BARS", "1"),
                        ("TRANSFORMERS_VERBOSITY", "error"), ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1"),
                        ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(transformers|trl|peft|torch)\b")
    warnings.filterwarnings("ignore", category=FutureWarning)


def main(argv: list[str] | None = None) -> int:
    secrets.install()
    args = build_parser().parse_args(argv)
    _quiet_libraries()
    try:
        return args.func(args)
    except WarmregError as exc:
        print(secrets.scrub(f"warmreg: error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except Terminated as exc:
        print("warmreg: terminated (SIGTERM); run the same command again to resume",
              file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("warmreg: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
