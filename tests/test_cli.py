"""The command line: help text lists every command; errors exit 2 without a traceback."""

import subprocess
import sys

import pytest

from warmreg.cli import build_parser, main

COMMANDS = {"run", "validate", "plugins", "analyze", "compare", "power", "rewrite", "judge-agreement",
            "import-study"}


def test_help_lists_every_command():
    text = build_parser().format_help()
    assert all(c in text for c in COMMANDS)


def test_mlproject_entry_points_are_cli_commands():
    import yaml
    from pathlib import Path

    project = yaml.safe_load((Path(__file__).parent.parent / "MLproject").read_text())
    for name, entry in project["entry_points"].items():
        command = entry["command"].split()[1]
        assert command in COMMANDS, f"MLproject {name} runs unknown command {command}"


def test_power_prints_items_needed(capsys):
    assert main(["power", "--baseline", "0.3", "--effect-pp", "5"]) == 0
    n = int(capsys.readouterr().out.split()[0])
    assert main(["power", "--baseline", "0.3", "--effect-pp", "10"]) == 0
    assert int(capsys.readouterr().out.split()[0]) < n


def test_analyze_bad_file_names_the_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("model,variant,task,item_id,context,belief\nm,original,t,1,none,none\n")
    out = subprocess.run([sys.executable, "-m", "warmreg", "analyze", str(path), "--out",
                          str(tmp_path / "o")], capture_output=True, text=True)
    assert out.returncode == 2 and "verdict" in out.stderr and "Traceback" not in out.stderr


def test_compare_unknown_experiment_is_a_clear_error(capsys):
    assert main(["compare", "no-such-experiment", "--out", "unused"]) == 2
    assert "no-such-experiment" in capsys.readouterr().err


def test_run_missing_recipe_exits_2(capsys):
    assert main(["run", "does-not-exist.yaml"]) == 2
    assert "does-not-exist.yaml" in capsys.readouterr().err


# The study's public layout: sample_data/<model>/<variant>/<task>_<variant>_outputs.csv,
# each task with the question column the study pairs rows on.
STUDY_TASKS = {"disinfo": "prompt_disinfo", "trivia": "content_key", "medqa": "original_question"}
STUDY_CONTEXTS = ("unmodified", "emotion:anger", "relation:hierarchical_up", "stake:high")
STUDY_TEMPLATES = ("original", "incorrect", "correct")


def _write_study(root):
    """Rows drawn in the test: the warm arm errs more; one refusal per arm and task."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    written = []
    for model, shift in (("llama_70b", 0.0), ("qwen_32b", 0.1)):
        for variant, effect in (("original", 0.0), ("warm", 0.15)):
            folder = root / "sample_data" / model / variant
            folder.mkdir(parents=True)
            for task, key in STUDY_TASKS.items():
                rows = []
                for i in range(30):
                    for context in STUDY_CONTEXTS:
                        for template in STUDY_TEMPLATES:
                            wrong = rng.random() < 0.25 + shift + effect + 0.1 * (template != "original")
                            refusal = i == 0 and context == "unmodified"
                            rows.append({key: f"{task} question {i}?", "amendment_type": context,
                                         "prompt_template": template,
                                         "output": "I cannot help with that." if refusal else "An answer.",
                                         "evaluation": "INCORRECT" if wrong else "CORRECT"})
                frame = pd.DataFrame(rows)
                if task == "medqa":  # medqa names the template column prompt_type
                    frame = frame.rename(columns={"prompt_template": "prompt_type"})
                frame.to_csv(folder / f"{task}_{variant}_outputs.csv", index=False)
                written.append(frame.assign(model=model, variant=variant, dataset=task))
    return pd.concat(written, ignore_index=True)


def test_import_study_then_analyze_spec_study_end_to_end(tmp_path, capsys):
    import json

    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rows = _write_study(tmp_path / "repo")
    results = tmp_path / "results.parquet"
    assert main(["import-study", str(tmp_path / "repo"), "--out", str(results)]) == 0
    assert "'correct'-belief rows left out" in capsys.readouterr().out
    out = tmp_path / "analysis"
    assert main(["analyze", str(results), "--out", str(out), "--spec", "study"]) == 0
    printed = capsys.readouterr().out
    assert "### Model 1: main effects" in printed and "### Model 4: sycophancy" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    mcnemar = pd.read_csv(out / "study_mcnemar.csv")
    assert (out / "study.md").is_file() and set(mcnemar["family"]) == {"sycophancy", "normal"}
    assert "relation.up" in " ".join(metrics)  # relation:hierarchical_up, ':' made '.'

    # Oracle: the study's model 1 on the rows this test wrote (refusals dropped except on disinfo).
    rows["template"] = rows["prompt_template"].fillna(rows["prompt_type"])
    refused = rows["output"].str.startswith("I cannot") & (rows["dataset"] != "disinfo")
    m1 = rows[~refused & (rows["amendment_type"] == "unmodified") & (rows["template"] == "original")]
    m1 = m1.assign(is_incorrect=(m1["evaluation"] == "INCORRECT").astype(int)
                   & ~m1["output"].str.startswith("I cannot"),
                   is_finetuned=(m1["variant"] == "warm").astype(int))
    fit = smf.glm("is_incorrect ~ is_finetuned + C(dataset, Treatment(reference='disinfo')) "
                  "+ C(model)", data=m1.astype({"is_incorrect": int}),
                  family=sm.families.Binomial()).fit()
    assert metrics["study/model1/coef_logodds/warm"] == pytest.approx(fit.params["is_finetuned"], abs=1e-6)
    assert metrics["study/model1/se_logodds/warm"] == pytest.approx(fit.bse["is_finetuned"], abs=1e-6)
    # McNemar, trivia × llama, normal family, unmodified: pairs by question.
    trivia = rows[(rows["dataset"] == "trivia") & (rows["model"] == "llama_70b")
                  & (rows["amendment_type"] == "unmodified") & (rows["template"] == "original")
                  & ~rows["output"].str.startswith("I cannot")]
    wide = trivia.pivot(index="content_key", columns="variant", values="evaluation")
    b = int(((wide["warm"] == "INCORRECT") & (wide["original"] == "CORRECT")).sum())
    c = int(((wide["warm"] == "CORRECT") & (wide["original"] == "INCORRECT")).sum())
    row = mcnemar.query("model == 'llama_70b' and task == 'triviaqa' and family == 'normal' "
                        "and context == 'none'").iloc[0]
    assert (row["b"], row["c"]) == (b, c)
