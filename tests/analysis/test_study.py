"""``--spec study``: every study/... number against the study's formulas (statsmodels' formula API).

The oracle below is written from the released scripts' formulas, independently of
warmreg's design matrices: a failure here means warmreg no longer reproduces the study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from warmreg.analysis.policy import apply_refusal_policy
from warmreg.analysis.results import validate_results
from warmreg.analysis.simulate import Simulation, simulate_results
from warmreg.analysis.study_report import study_analysis

TOL = 1e-6
FT = "C(is_finetuned, Treatment(reference=0))"
TASK = "C(dataset, Treatment(reference='mask-disinfo'))"


def _table(seed=3, zero_task=None, flat_task=None):
    sim = Simulation(models=("m2", "m1"), variants=("original", "warm", "cold"),
                     tasks=("triviaqa", "mask-disinfo", "medqa", "truthfulqa"), n_items=40,
                     persona={"warm": 0.6, "cold": -0.2}, persona_belief={"warm": 0.5},
                     persona_context={"warm": {"emotion:sad": 0.4}}, refusal_rate=0.05,
                     response_length=True, seed=seed)
    frame = simulate_results(sim).drop(columns=["p_incorrect", "eta_base"])
    if zero_task:  # the variant never errs on this task: separation in one arm
        mask = (frame["task"] == zero_task) & (frame["variant"] == "warm") \
            & (frame["verdict"] == "INCORRECT")
        frame.loc[mask, "verdict"] = "CORRECT"
    if flat_task:  # no errors in either arm: the task's fixed effect diverges
        frame.loc[(frame["task"] == flat_task) & (frame["verdict"] == "INCORRECT"),
                  "verdict"] = "CORRECT"
    return frame


def _oracle_rows(frame, variant):
    scored = apply_refusal_policy(validate_results(frame))
    rows = scored[(scored["exclusion"] == "kept") & scored["variant"].isin(["original", variant])]
    return pd.DataFrame({
        "is_incorrect": rows["incorrect"].astype(int).to_numpy(),
        "is_finetuned": (rows["variant"] == variant).astype(int).to_numpy(),
        "dataset": rows["task"].astype(str).to_numpy(), "model": rows["model"].astype(str).to_numpy(),
        "amendment_type_detailed": rows["context"].astype(str).to_numpy(),
        "amendment_type": rows["context"].astype(str).str.split(":").str[0].to_numpy(),
        "prompt_type": rows["belief"].astype(str).to_numpy(),
        "response_length": frame.loc[rows.index, "response"].str.len().to_numpy()})


def _fit(formula, data):
    return smf.glm(formula, data=data, family=sm.families.Binomial()).fit()


def _cf_ame(fit, data):
    on, off = data.assign(is_finetuned=1), data.assign(is_finetuned=0)
    return 100 * float((fit.predict(on) - fit.predict(off)).mean())


def _combo(fit, names):
    est = sum(fit.params[n] for n in names)
    cov = fit.cov_params().loc[names, names].to_numpy()
    return est, float(np.sqrt(cov.sum()))


def oracle(frame, variant, length=False):
    """Every study/... metric of ``variant``, from the study's formulas."""
    d = _oracle_rows(frame, variant)
    extra = " + response_length" if length else ""
    out = {}
    m1 = d[(d.amendment_type_detailed == "none") & (d.prompt_type == "none")]
    f1 = _fit(f"is_incorrect ~ is_finetuned + {TASK} + C(model){extra}", m1)
    out |= {f"study/model1/coef_logodds/{variant}": f1.params["is_finetuned"],
            f"study/model1/se_logodds/{variant}": f1.bse["is_finetuned"],
            f"study/model1/z/{variant}": f1.tvalues["is_finetuned"],
            f"study/model1/p/{variant}": f1.pvalues["is_finetuned"],
            f"study/model1/ame_pp/{variant}": _cf_ame(f1, m1)}
    m2 = d[d.prompt_type == "none"]
    for n, column in ((2, "amendment_type"), (3, "amendment_type_detailed")):
        factor = f"C({column}, Treatment(reference='none'))"
        fit = _fit(f"is_incorrect ~ {FT} + {factor} + {TASK} + {FT}:{factor} + C(model){extra}", m2)
        for level in sorted(m2[column].unique()):
            names = [f"{FT}[T.1]"] + ([f"{FT}[T.1]:{factor}[T.{level}]"] if level != "none" else [])
            est, se = _combo(fit, names)
            key = level.replace(":", ".")
            out |= {f"study/model{n}/ame_pp/{variant}/{key}": _cf_ame(fit, m2[m2[column] == level]),
                    f"study/model{n}/effect_logodds/{variant}/{key}": est,
                    f"study/model{n}/effect_se_logodds/{variant}/{key}": se}
    belief = "C(prompt_type, Treatment(reference='none'))"
    f4 = _fit(f"is_incorrect ~ {FT} + {belief} + {TASK} + {FT}:{belief} + C(model){extra}", d)
    interaction = f"{FT}[T.1]:{belief}[T.incorrect]"
    out |= {f"study/model4/interaction_logodds/{variant}": f4.params[interaction],
            f"study/model4/interaction_se_logodds/{variant}": f4.bse[interaction],
            f"study/model4/interaction_p/{variant}": f4.pvalues[interaction]}
    for level in ("none", "incorrect"):
        names = [f"{FT}[T.1]"] + ([interaction] if level != "none" else [])
        est, se = _combo(f4, names)
        out |= {f"study/model4/ame_pp/{variant}/{level}": _cf_ame(f4, d[d.prompt_type == level]),
                f"study/model4/effect_logodds/{variant}/{level}": est,
                f"study/model4/effect_se_logodds/{variant}/{level}": se}
    return out


def _check(result, expected):
    missing = sorted(set(expected) - set(result.metrics))
    assert not missing, missing
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(value, abs=TOL, rel=TOL), name


@pytest.mark.parametrize("length", [False, True])
def test_every_study_number_matches_the_formula_oracle(length):
    frame = _table()
    result = study_analysis(apply_refusal_policy(validate_results(frame)),
                            length_covariate=length)
    for variant in ("warm", "cold"):
        _check(result, oracle(frame, variant, length))
    assert result.metrics["study/model1/ame_pp/warm"] > result.metrics["study/model1/ame_pp/cold"]


def test_a_task_without_errors_in_one_arm_keeps_every_row():
    frame = _table(seed=5, zero_task="medqa", flat_task="truthfulqa")
    scored = apply_refusal_policy(validate_results(frame))
    result = study_analysis(scored)
    _check(result, oracle(frame, "warm"))
    main = result.effects.query("variant == 'warm' and model == 'model1'").iloc[0]
    rows = _oracle_rows(frame, "warm")
    n_subset = int(((rows.amendment_type_detailed == "none") & (rows.prompt_type == "none")).sum())
    assert main["n_rows"] == n_subset  # medqa and truthfulqa rows are in the average
    counted = frame.query("variant in ['original', 'warm'] and context == 'none' and "
                          "belief == 'none' and (verdict != 'REFUSED' or task == 'mask-disinfo')")
    assert n_subset == len(counted)
    flagged = result.coefficients.query("variant == 'warm' and separated")["term"]
    assert "task[T.truthfulqa]" in set(flagged)
