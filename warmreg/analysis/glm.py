"""Binomial GLMs of the persona effect, reported as average marginal effects in pp.

For each variant compared with the reference, logit models of ``incorrect`` on the
reliability tasks, each with model and task fixed effects (:data:`SPECS`):

- ``main``: persona, on context none and belief none;
- ``group``: persona × context group (none, emotion, relation, stakes), belief none;
- ``context``: persona × specific context (none, emotion:sad, ...), belief none;
- ``belief``: persona × belief (none, incorrect), context none;
- ``model``: the main effect fitted within each model (task fixed effects only).

The optional response-length covariate enters the main-effect models (``main`` and
``model``); the interaction models compare personas across contexts at equal footing.

The persona effect at a level L of the factor is the average marginal effect (AME)
over the fitted observations, every one set to L: mean over rows of
P(error | persona on, L, row's model, task[, length]) − P(error | persona off, ...).
Its standard error is the delta method, gradient·cov·gradient, with the gradient of
the AME with respect to the coefficients computed in closed form (it equals the
numerical jacobian; the tests check). Contrasts between levels (is the effect in
emotional contexts different from in none?) are reported as the difference of AMEs
with its delta-method test, beside the Wald test of the interaction coefficient and a
joint Wald test of all interactions.

Speed: without a length covariate or clustering, rows are collapsed to their distinct
covariate patterns and fitted as a binomial GLM of (errors, non-errors) per pattern,
which gives the same estimates and covariance as the row-level fit. With
``length_covariate`` (z-scored log(1 + characters) of the response; a mediator, so the
AME becomes the effect at each row's observed length) or ``cluster_by_item``
(cluster-robust covariance by (task, item_id)) the fit is row-level.

Standard errors are cluster-robust by item by default (an item repeats across
contexts, beliefs and variants, so its rows are not independent); ``cluster_by_item=False``
gives the model-based covariance.

Separation: every row is kept. A level with no errors (or only errors) in an arm makes
its coefficient diverge; the fit is statsmodels' IRLS, run to its convergence criterion
as the study's scripts run it, and the diverging terms are named in ``notes``. Such rows
predict ≈0 (or ≈1) under both personas, so they contribute ≈0 to the AME, which still
averages over them: the population of every AME is all fitted rows, stated in the
``population`` column. (Firth's penalised likelihood would give finite estimates but
shrink the AME towards zero differently from the study; keeping rows makes the two
specifications differ only where ``docs/study-spec.md`` says so.) Levels present in one
arm only have no contrast and are left out with a note; fits that cannot be estimated
(one arm missing, no variation at all, too few clusters) are skipped with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from warmreg.analysis.margins import Design, ame, fit_glm, separated_terms
from warmreg.analysis.policy import kept
from warmreg.analysis.results import AnalysisError
from warmreg.api import RELIABILITY

REFERENCE_LEVEL = "none"


@dataclass(frozen=True)
class Spec:
    """One GLM: the rows it uses, its fixed effects and the factor crossed with persona."""

    analysis: str
    subset: tuple[tuple[str, str], ...]
    fixed_effects: tuple[str, ...] = ("model", "task")
    factor: str | None = None
    length: bool = False  # takes the response-length covariate when it is asked for

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        mask = np.ones(len(data), dtype=bool)
        for column, value in self.subset:
            mask &= (data[column] == value).to_numpy()
        return data[mask]


SPECS = (
    Spec("main", (("context", "none"), ("belief", "none")), length=True),
    Spec("group", (("belief", "none"),), factor="group"),
    Spec("context", (("belief", "none"),), factor="context"),
    Spec("belief", (("context", "none"),), factor="belief"),
)


@dataclass
class GLMTables:
    """What :func:`persona_effects` returns (one DataFrame per kind of row)."""

    ames: pd.DataFrame  # variant, analysis, level, ame_pp, se_pp, ci_*_pp, p_value, ...
    contrasts: pd.DataFrame  # variant, analysis, level vs none: diff_pp, ..., wald_p
    coefficients: pd.DataFrame  # variant, analysis, subset, term, coef, se, p_value
    skipped: pd.DataFrame  # variant, analysis, subset, reason


def persona_effects(
    scored: pd.DataFrame,
    *,
    reference: str = "original",
    length_covariate: bool = False,
    cluster_by_item: bool = True,
    alpha: float = 0.05,
    per_model: bool = True,
) -> GLMTables:
    """Fit every GLM of :data:`SPECS` (and per model) for each non-reference variant.

    Args:
        scored: a scored table (:func:`~warmreg.analysis.policy.apply_refusal_policy`).
        reference: the variant with persona off.
        length_covariate: adjust for response length (needs a ``response`` column).
        cluster_by_item: cluster-robust covariance by (task, item_id).
        alpha: 1 − confidence level.
        per_model: also fit the main effect within each model.

    Returns:
        The AME, contrast, coefficient and skipped-fit tables.
    """
    data = prepare(scored, reference, length_covariate)
    options = dict(length_covariate=length_covariate, cluster_by_item=cluster_by_item,
                   alpha=alpha)
    collected: dict[str, list] = {"ames": [], "contrasts": [], "coefficients": [], "skipped": []}
    for variant in sorted(set(data["variant"].unique()) - {reference}):
        pair = data[data["variant"].isin([reference, variant])]
        for spec, subset, rows in _fits(pair, per_model):
            tables = fit_persona_glm(rows, spec, **options)
            if isinstance(tables, str):
                collected["skipped"].append({"variant": variant, "analysis": spec.analysis,
                                             "subset": subset, "reason": tables})
                continue
            for name, frame in tables.items():
                if frame.empty:
                    continue
                frame.insert(0, "variant", variant)
                if name == "ames" and spec.analysis == "model":
                    frame["level"] = subset
                if name == "coefficients":
                    frame.insert(2, "subset", subset)
                collected[name].append(frame)
    return GLMTables(**{name: _concat(frames, name) for name, frames in collected.items()})


PER_MODEL = Spec("model", (("context", "none"), ("belief", "none")), ("task",), length=True)


def _fits(pair: pd.DataFrame, per_model: bool):
    """(spec, subset label, rows) of every GLM for one variant and the reference."""
    for spec in SPECS:
        yield spec, "", spec.select(pair)
    if per_model:
        for model, rows in PER_MODEL.select(pair).groupby("model", observed=True):
            yield PER_MODEL, str(model), rows


_COLUMNS = {
    "ames": ["variant", "analysis", "level", "ame_pp", "se_pp", "ci_low_pp", "ci_high_pp",
             "p_value", "n_obs", "population", "cov_type", "notes"],
    "contrasts": ["variant", "analysis", "level", "versus", "diff_pp", "se_pp", "ci_low_pp",
                  "ci_high_pp", "p_value", "wald_chi2", "wald_df", "wald_p"],
    "coefficients": ["variant", "analysis", "subset", "term", "coef", "se", "p_value"],
    "skipped": ["variant", "analysis", "subset", "reason"],
}


def empty_tables() -> GLMTables:
    """No fits (the study's specification alone runs none of warmreg's GLMs)."""
    return GLMTables(**{name: _concat([], name) for name in _COLUMNS})


def _concat(frames: list, name: str) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=_COLUMNS[name])
    if isinstance(frames[0], dict):
        return pd.DataFrame(frames, columns=_COLUMNS[name])
    return pd.concat(frames, ignore_index=True)[_COLUMNS[name]]


def prepare(scored: pd.DataFrame, reference: str, length_covariate: bool) -> pd.DataFrame:
    """Scored reliability rows as GLM inputs: ``y``, ``persona``, ``group``, ``item``."""
    rows = kept(scored)
    rows = rows[(rows["category"] == RELIABILITY).to_numpy()]
    data = rows[["model", "task", "context", "belief", "variant"]].copy()
    context = rows["context"].astype("category")
    group_of = [str(c).split(":", 1)[0] for c in context.cat.categories]
    groups, codes = np.unique(np.array(group_of + [""], dtype=object), return_inverse=True)
    data["group"] = pd.Categorical.from_codes(codes[:-1][context.cat.codes], groups.astype(str))
    data["y"] = rows["incorrect"].to_numpy(dtype=np.int8)
    data["persona"] = (rows["variant"] != reference).to_numpy(dtype=np.int8)
    data["item"] = rows.groupby(["task", "item_id"], sort=False, observed=True).ngroup().to_numpy()
    if length_covariate:
        if "response_length" not in rows or not rows["response_length"].any():
            raise AnalysisError("length_covariate needs a non-empty 'response' column")
        data["log_length"] = np.log1p(rows["response_length"].to_numpy(dtype=float))
    return data


def fit_persona_glm(
    rows: pd.DataFrame, spec: Spec, *, length_covariate: bool = False,
    cluster_by_item: bool = True, alpha: float = 0.05,
) -> dict[str, pd.DataFrame] | str:
    """Fit one GLM and compute its AMEs and contrasts.

    Args:
        rows: rows from :func:`prepare` restricted to one variant and the reference.
        spec: which model to fit.
        length_covariate, cluster_by_item, alpha: as in :func:`persona_effects`.

    Returns:
        ``{"ames", "contrasts", "coefficients"}`` tables, or the reason it was skipped.
    """
    length_covariate = length_covariate and spec.length
    checked = _levels(rows, spec)
    if isinstance(checked, str):
        return checked
    rows, levels, notes = checked
    if cluster_by_item and rows["item"].nunique() < 2:
        return "fewer than two items to cluster by"
    fixed = {c: sorted(str(x) for x in rows[c].unique()) for c in spec.fixed_effects}
    keys = ["persona", *spec.fixed_effects] + ([spec.factor] if spec.factor else [])
    patterns = rows.groupby(keys, observed=True)["y"].agg(["size", "sum"]).reset_index()
    design = Design(patterns, spec.factor, fixed, levels)
    result = fit_glm(design, np.column_stack([patterns["sum"], patterns["size"] - patterns["sum"]]))
    if isinstance(result, str):
        return result
    if not (length_covariate or cluster_by_item):
        return _tables(design, result, spec, notes, alpha)
    # Row-level refit, started at the collapsed estimate: it only adds the length
    # term or the clustered covariance, so Newton needs a step or two.
    length = None
    if length_covariate:
        raw = rows["log_length"].to_numpy()
        length = (raw - raw.mean()) / (raw.std() or 1.0)
    row_design = Design(rows.assign(size=1), spec.factor, fixed, levels, length)
    start = np.append(result.params, [0.0] * (length is not None))
    groups = rows["item"].to_numpy() if cluster_by_item else None
    result = fit_glm(row_design, rows["y"].to_numpy(dtype=float), start, groups)
    if isinstance(result, str):
        return result
    # AMEs average over rows; without a length term the patterns give the same mean.
    return _tables(row_design if length is not None else design, result, spec, notes, alpha)


def _levels(rows: pd.DataFrame, spec: Spec):
    """Rows, factor levels and notes; levels present in one arm only are left out."""
    if rows.empty or rows["persona"].nunique() < 2:
        return "needs rows for both the reference and the variant"
    if rows["y"].nunique() < 2:
        return "no variation in the outcome"
    if spec.factor is None:
        return rows, [None], []
    arms = rows.groupby(spec.factor, observed=True)["persona"].nunique()
    one_arm = [str(x) for x in arms.index[arms < 2]]
    notes = [f"{spec.factor} {', '.join(one_arm)} left out (in one arm only)"] if one_arm else []
    rows = rows[~rows[spec.factor].isin(one_arm)]
    present = {str(x) for x in rows[spec.factor].unique()}
    if REFERENCE_LEVEL not in present:
        return f"reference level '{REFERENCE_LEVEL}' has no rows in both arms"
    others = sorted(present - {REFERENCE_LEVEL})
    if not others:
        return f"no {spec.factor} level besides '{REFERENCE_LEVEL}' to compare"
    return rows, [REFERENCE_LEVEL, *others], notes


def _population(spec: Spec, n_rows: int) -> str:
    """Which rows an AME of ``spec`` averages over, in words."""
    where = ", ".join(f"{c} {v}" for c, v in spec.subset) or "every row"
    factor = f"; each set to the level's {spec.factor}" if spec.factor else ""
    return f"all {n_rows} fitted rows ({where}{factor})"


def _tables(design: Design, result, spec: Spec, notes, alpha):
    params, cov = np.asarray(result.params), np.asarray(result.cov_params())
    z_crit = norm.ppf(1 - alpha / 2)
    separated = separated_terms(design.names, params, result.bse)
    if separated:
        notes = [*notes, f"separated (rows kept, estimates diverge): {', '.join(separated)}"]
    effects = {level: ame(design, params, level) for level in design.levels}
    cov_type = "cluster(item)" if result.cov_type == "cluster" else "nonrobust"
    ame_rows = [_estimate(e, g, cov, z_crit) | {"level": level or "", "cov_type": cov_type}
                for level, (e, g) in effects.items()]
    n_obs = int(design.weights.sum())
    ames = pd.DataFrame(ame_rows).assign(analysis=spec.analysis, n_obs=n_obs,
                                         population=_population(spec, n_obs),
                                         notes="; ".join(notes))
    contrasts = _contrasts(design, result, effects, cov, z_crit, spec)
    coefficients = pd.DataFrame({"analysis": spec.analysis, "term": design.names,
                                 "coef": params, "se": np.asarray(result.bse),
                                 "p_value": np.asarray(result.pvalues)})
    return {"ames": ames, "contrasts": contrasts, "coefficients": coefficients}


def _estimate(effect: float, gradient: np.ndarray, cov: np.ndarray, z_crit: float) -> dict:
    se = float(np.sqrt(max(gradient @ cov @ gradient, 0.0)))
    p_value = float(2 * norm.sf(abs(effect) / se)) if se > 0 else float("nan")
    return {"ame_pp": 100 * effect, "se_pp": 100 * se, "ci_low_pp": 100 * (effect - z_crit * se),
            "ci_high_pp": 100 * (effect + z_crit * se), "p_value": p_value}


def _contrasts(design, result, effects, cov, z_crit, spec: Spec) -> pd.DataFrame:
    """Each level vs the reference level, and the joint Wald test of all interactions."""
    if spec.factor is None or len(effects) < 2:
        return pd.DataFrame(columns=_COLUMNS["contrasts"][1:])
    base_effect, base_gradient = effects[REFERENCE_LEVEL]
    columns = design.interaction_columns()
    pvalues, tvalues, rows = np.asarray(result.pvalues), np.asarray(result.tvalues), []
    for column, level in zip(columns, design.levels[1:]):
        effect, gradient = effects[level]
        row = _estimate(effect - base_effect, gradient - base_gradient, cov, z_crit)
        row = {"diff_pp": row.pop("ame_pp"), **row, "wald_df": 1, "wald_p": float(pvalues[column]),
               "wald_chi2": float(tvalues[column] ** 2)}
        rows.append({"level": level, **row})
    restriction = np.zeros((len(columns), len(design.names)))
    restriction[np.arange(len(columns)), columns] = 1.0
    if np.isfinite(cov[np.ix_(columns, columns)]).all():
        joint = result.wald_test(restriction, scalar=True)
        chi2, p_value = float(joint.statistic), float(joint.pvalue)
    else:  # a degenerate fit (e.g. a separated term) has no covariance to test with
        chi2 = p_value = float("nan")
    rows.append({"level": "(all)", "wald_chi2": chi2, "wald_df": len(columns), "wald_p": p_value})
    out = pd.DataFrame(rows).assign(analysis=spec.analysis, versus=REFERENCE_LEVEL)
    return out[_COLUMNS["contrasts"][1:]]
