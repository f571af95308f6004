"""Binomial GLMs: planted persona effects are recovered as AMEs in pp."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tools.numdiff import approx_fprime

from warmreg.analysis.glm import SPECS, fit_persona_glm, persona_effects, prepare
from warmreg.analysis.margins import Design, ame
from warmreg.analysis.policy import apply_refusal_policy
from warmreg.analysis.results import AnalysisError, validate_results
from warmreg.analysis.simulate import Simulation, simulate_results, true_ame


@pytest.fixture(scope="module")
def effects(planted_scored):
    return persona_effects(planted_scored, cluster_by_item=False)


def _ame(tables, variant, analysis, level=""):
    ames = tables.ames
    row = ames[(ames["variant"] == variant) & (ames["analysis"] == analysis)
               & (ames["level"] == level)]
    assert len(row) == 1, (variant, analysis, level)
    return row.iloc[0]


def _truth(planted, variant="warm", group=None, **where):
    sim, frame = planted
    mask = frame["variant"].isin(["original", variant])
    for column, value in where.items():
        mask &= frame[column] == value
    if group:
        mask &= frame["context"].str.startswith(f"{group}:")
    return true_ame(sim, frame[mask], variant)


def _inside(row, truth, prefix=""):
    low, high = row[f"{prefix}ci_low_pp"], row[f"{prefix}ci_high_pp"]
    return low <= truth <= high


def test_main_effect_recovered(effects, planted):
    row = _ame(effects, "warm", "main")
    truth = _truth(planted, context="none", belief="none")
    assert 6 < truth < 12  # the planted +0.5 log-odds is about +9 pp here
    assert _inside(row, truth) and row["p_value"] < 1e-6


def test_null_variant_has_no_effect(effects, planted):
    row = _ame(effects, "cold", "main")
    assert _truth(planted, "cold", context="none", belief="none") == 0
    assert _inside(row, 0.0)


def test_context_interaction_recovered(effects, planted):
    sad = _ame(effects, "warm", "context", "emotion:sad")
    truth_sad = _truth(planted, context="emotion:sad", belief="none")
    truth_none = _truth(planted, context="none", belief="none")
    assert truth_sad - truth_none > 5  # the planted extra effect under emotion:sad
    assert _inside(sad, truth_sad)
    contrasts = effects.contrasts
    diff = contrasts[(contrasts["variant"] == "warm") & (contrasts["analysis"] == "context")
                     & (contrasts["level"] == "emotion:sad")].iloc[0]
    assert _inside(diff, truth_sad - truth_none) and diff["p_value"] < 0.01
    assert diff["wald_p"] < 0.01  # the interaction coefficient itself
    happy = contrasts[(contrasts["variant"] == "warm") & (contrasts["level"] == "emotion:happy")]
    assert _inside(happy.iloc[0], 0.0)  # no extra effect planted there


def test_group_and_belief_effects_recovered(effects, planted):
    emotion = _ame(effects, "warm", "group", "emotion")
    assert _inside(emotion, _truth(planted, group="emotion", belief="none"))
    belief = _ame(effects, "warm", "belief", "incorrect")
    assert _inside(belief, _truth(planted, context="none", belief="incorrect"))
    joint = effects.contrasts[(effects.contrasts["variant"] == "warm")
                              & (effects.contrasts["analysis"] == "belief")
                              & (effects.contrasts["level"] == "(all)")].iloc[0]
    assert joint["wald_df"] == 1 and joint["wald_p"] < 0.01


def test_per_model_effects(effects, planted):
    sim, frame = planted
    for model in sim.models:
        row = _ame(effects, "warm", "model", model)
        rows = frame[(frame["model"] == model) & (frame["context"] == "none")
                     & (frame["belief"] == "none") & frame["variant"].isin(["original", "warm"])]
        assert _inside(row, true_ame(sim, rows, "warm"))


def test_main_ame_matches_statsmodels_get_margeff(effects, planted_scored):
    data = prepare(planted_scored, "original", False)
    rows = SPECS[0].select(data[data["variant"].isin(["original", "warm"])])
    exog = pd.get_dummies(rows[["model", "task"]].astype(str), drop_first=True, dtype=float)
    exog.insert(0, "persona", rows["persona"].to_numpy(dtype=float))
    logit = sm.Logit(rows["y"].to_numpy(dtype=float), sm.add_constant(exog)).fit(disp=0)
    margeff = logit.get_margeff(at="overall", dummy=True)
    row = _ame(effects, "warm", "main")
    assert row["ame_pp"] / 100 == pytest.approx(margeff.margeff[0], rel=1e-6)
    assert row["se_pp"] / 100 == pytest.approx(margeff.margeff_se[0], rel=1e-4)


def test_delta_method_gradient_equals_numerical_jacobian(planted_scored):
    data = prepare(planted_scored, "original", False)
    rows = SPECS[2].select(data[data["variant"].isin(["original", "warm"])])
    patterns = rows.groupby(["persona", "model", "task", "context"], observed=True)["y"] \
        .agg(["size", "sum"]).reset_index()
    levels = ["none", *sorted(set(rows["context"].astype(str)) - {"none"})]
    fixed = {c: sorted(set(rows[c].astype(str))) for c in ("model", "task")}
    design = Design(patterns, "context", fixed, levels)
    params = np.random.default_rng(0).normal(0, 0.3, len(design.names))
    for level in ("none", "emotion:sad"):
        _, gradient = ame(design, params, level)
        numeric = approx_fprime(params, lambda b: ame(design, b, level)[0], centered=True)
        np.testing.assert_allclose(gradient, numeric, atol=1e-8)


def test_cluster_robust_keeps_estimates_changes_errors(effects, planted_scored):
    robust = persona_effects(planted_scored, cluster_by_item=True, per_model=False)
    for analysis, level in (("main", ""), ("context", "emotion:sad"), ("belief", "incorrect")):
        a, b = _ame(effects, "warm", analysis, level), _ame(robust, "warm", analysis, level)
        assert b["ame_pp"] == pytest.approx(a["ame_pp"], abs=1e-6)
        assert b["cov_type"] == "cluster(item)" and b["se_pp"] != pytest.approx(a["se_pp"])


def test_length_covariate_enters_the_main_models():
    sim = Simulation(n_items=120, tasks=("triviaqa",), contexts=("none", "emotion:sad"),
                     response_length=True, seed=2)
    scored = apply_refusal_policy(validate_results(simulate_results(sim)))
    tables = persona_effects(scored, length_covariate=True)
    terms = tables.coefficients.groupby("analysis")["term"].agg(set)
    assert "log_length_z" in terms["main"] and "log_length_z" in terms["model"]
    assert "log_length_z" not in terms["context"]
    with pytest.raises(AnalysisError, match="response"):
        persona_effects(scored.drop(columns="response_length"), length_covariate=True)


def _small(seed=0, **changes):
    sim = Simulation(n_items=80, models=("m1",), tasks=("triviaqa", "easy"),
                     contexts=("none", "emotion:sad", "stakes:high"), seed=seed)
    frame = simulate_results(sim).drop(columns=["p_incorrect", "eta_base"])
    for where, verdict in changes.values():
        frame.loc[where(frame), "verdict"] = verdict
    return apply_refusal_policy(validate_results(frame))


def test_separated_levels_are_kept_and_flagged():
    scored = _small(easy=(lambda f: f["task"] == "easy", "CORRECT"),
                    sad=(lambda f: (f["context"] == "emotion:sad") & (f["variant"] == "warm"),
                         "CORRECT"))
    tables = persona_effects(scored)
    main = _ame(tables, "warm", "main")
    subset = scored.query("context == 'none' and belief == 'none' and exclusion == 'kept' "
                          "and variant in ['original', 'warm']")
    assert main["n_obs"] == len(subset)  # the error-free task's rows are in the average
    assert f"all {len(subset)} fitted rows" in main["population"]
    assert "separated (rows kept" in main["notes"] and "task[T.triviaqa]" in main["notes"]
    context = tables.ames[tables.ames["analysis"] == "context"].set_index("level")
    assert set(context.index) == {"none", "emotion:sad", "stakes:high"}
    assert "persona:context[T.emotion:sad]" in context.loc["emotion:sad", "notes"]
    assert context.loc["emotion:sad", "ame_pp"] < -5  # warm never errs under sad
    assert tables.skipped.empty


def test_unestimable_fits_are_skipped_with_a_reason():
    tables = persona_effects(_small(all=(lambda f: f["task"] != "", "CORRECT")))
    assert tables.ames.empty and set(tables.skipped["reason"]) == {"no variation in the outcome"}
    only_reference = persona_effects(_small().query("variant == 'original'"))
    assert only_reference.ames.empty and only_reference.skipped.empty


def test_a_level_in_one_arm_only_is_left_out_with_a_note():
    scored = _small()
    scored = scored[~((scored["context"] == "stakes:high") & (scored["variant"] == "warm"))]
    context = persona_effects(scored).ames.query("analysis == 'context'")
    assert set(context["level"]) == {"none", "emotion:sad"}
    assert "stakes:high left out (in one arm only)" in context["notes"].iloc[0]


def test_fit_needs_both_arms(planted_scored):
    data = prepare(planted_scored, "original", False)
    rows = SPECS[0].select(data[data["variant"] == "original"])
    assert "both" in fit_persona_glm(rows, SPECS[0])
