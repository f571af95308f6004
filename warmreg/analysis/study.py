"""The study's own statistical specification (``--spec study``), reproduced exactly.

The released analysis of Ibrahim, Hafner & Rocher (repository ``warm_ai_2025``, folder
``statistical_models/``) fits four binomial GLMs (logit link, IRLS, model-based
covariance, intercept) of ``incorrect`` on the scored reliability rows, each variant
against the reference separately. Every model has a model fixed effect (reference: the
alphabetically first model) and a task fixed effect (reference: ``mask-disinfo`` when
present, else the alphabetically first task); ``response_length`` (characters) enters
as a raw covariate when asked for (the scripts' ``INCLUDE_LENGTH``).

=======  ==============================  ==========================================
model    rows                            persona term
=======  ==============================  ==========================================
model1   context none, belief none       persona (0/1)
model2   belief none, every context      persona × context group (ref. ``none``)
model3   belief none, every context      persona × detailed context (ref. ``none``)
model4   beliefs none and incorrect,     persona × belief (ref. ``none``);
         every context                   no context term
=======  ==============================  ==========================================

Estimands, each on its stated scale:

- ``ame_pp``: the counterfactual average marginal effect in percentage points: every row
  of the population (model1: the whole subset; model2–4: the rows of one level) is
  predicted with persona 1 and with persona 0, keeping its own covariates, and the
  difference is averaged over those rows — all of them, separated or not.
- ``logodds`` (model1: the persona coefficient; model2–4: β_persona + β_interaction at a
  level) with its delta-method SE, z and two-sided normal p. The released scripts print
  this log-odds quantity as "pp"; warmreg labels it log-odds.
- model4 also reports the interaction coefficient itself (the sycophancy term, which the
  released script never prints).

Separation: every row is kept and the fit is statsmodels' IRLS as the scripts run it;
terms whose estimate diverges (|coef| or SE beyond :data:`~warmreg.analysis.margins.MAX_SE`
and :data:`~warmreg.analysis.margins.MAX_ABS_COEF`) are flagged in ``separated``, never
dropped. The McNemar tables of ``significance_tests.py`` are in
:mod:`warmreg.analysis.mcnemar`; the differences from the scripts are in
``docs/study-spec.md``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from warmreg.analysis.margins import MAX_ABS_COEF, MAX_SE, Design, ame
from warmreg.analysis.policy import kept
from warmreg.api import RELIABILITY

NONE = "none"
REFERENCE_TASK = "mask-disinfo"  # the scripts' reference dataset ("disinfo")
LENGTH = "response_length"


@dataclass(frozen=True)
class StudyModel:
    """One of the study's four GLMs: its rows, and the factor crossed with persona."""

    name: str
    subset: tuple[tuple[str, tuple[str, ...]], ...]  # column -> allowed values
    factor: str | None  # None: persona alone (model1)
    title: str

    def select(self, data: pd.DataFrame) -> pd.DataFrame:
        mask = np.ones(len(data), dtype=bool)
        for column, values in self.subset:
            mask &= data[column].isin(values).to_numpy()
        return data[mask]


MODELS = (
    StudyModel("model1", (("context", (NONE,)), ("belief", (NONE,))), None,
               "Model 1: main effects (context none, belief none)"),
    StudyModel("model2", (("belief", (NONE,)),), "group",
               "Model 2: persona × context group (belief none)"),
    StudyModel("model3", (("belief", (NONE,)),), "context",
               "Model 3: persona × detailed context (belief none)"),
    StudyModel("model4", (("belief", (NONE, "incorrect")),), "belief",
               "Model 4: sycophancy, persona × belief (every context)"),
)

EFFECT_COLUMNS = ["variant", "model", "level", "n_rows", "ame_pp", "logodds", "se_logodds",
                  "z", "p"]
COEF_COLUMNS = ["variant", "model", "term", "coef_logodds", "se_logodds", "z", "p", "separated"]


def study_rows(scored: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Scored reliability rows as the study's model inputs.

    Columns: variant, model, task, context, group, belief, ``y`` (1 = INCORRECT),
    ``persona`` (0 for the reference) and ``response_length`` where the table has it.
    """
    rows = kept(scored)
    rows = rows[(rows["category"] == RELIABILITY).to_numpy()]
    data = pd.DataFrame({c: rows[c].astype(str).to_numpy()
                         for c in ("variant", "model", "task", "context", "belief")})
    data["group"] = data["context"].str.split(":", n=1).str[0]
    data["y"] = rows["incorrect"].to_numpy(dtype=float)
    data["persona"] = (data["variant"] != reference).astype(float)
    data[LENGTH] = (rows[LENGTH].to_numpy(dtype=float) if LENGTH in rows
                    else np.zeros(len(rows)))
    return data


def fit_study_model(rows: pd.DataFrame, spec: StudyModel, *, length_covariate: bool = False):
    """Fit one model on one variant's pair of arms.

    Args:
        rows: :func:`study_rows` of the reference and one variant.
        spec: which of :data:`MODELS`.
        length_covariate: add raw ``response_length`` (characters).

    Returns:
        ``(effects, coefficients, notes)`` DataFrames/list, or the reason it cannot run.
    """
    rows = spec.select(rows)
    if rows.empty or rows["persona"].nunique() < 2:
        return "needs rows for both the reference and the variant"
    tasks = sorted(rows["task"].unique())
    if REFERENCE_TASK in tasks:
        tasks = [REFERENCE_TASK] + [t for t in tasks if t != REFERENCE_TASK]
    fixed = {"task": tasks, "model": sorted(rows["model"].unique())}
    levels = [None]
    if spec.factor:
        present = set(rows[spec.factor])
        if NONE not in present:
            return f"reference level '{NONE}' of {spec.factor} has no rows"
        levels = [NONE, *sorted(present - {NONE})]
    length = rows[LENGTH].to_numpy(dtype=float) if length_covariate else None
    design = Design(rows.assign(size=1), spec.factor, fixed, levels, length)
    if length is not None:
        design.names[-1] = LENGTH
    fitted = _fit(design, rows["y"].to_numpy())
    params, cov, notes = fitted
    effects = _effects(design, rows, spec, params, cov)
    coefficients = _coefficients(design.names, params, cov)
    if (k := np.linalg.matrix_rank(design.matrix())) < len(design.names):
        notes.append(f"design rank {k} < {len(design.names)} columns (minimum-norm fit)")
    return effects, coefficients, notes


def _fit(design: Design, y: np.ndarray):
    """statsmodels' default GLM fit (IRLS), warnings kept as notes."""
    import statsmodels.api as sm

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sm.GLM(y, design.matrix(), family=sm.families.Binomial()).fit()
    notes = sorted({f"statsmodels: {w.category.__name__}" for w in caught})
    if not result.converged:
        notes.append("IRLS did not converge")
    return np.asarray(result.params), np.asarray(result.cov_params()), notes


def _linear(params, cov, weights) -> tuple[float, float, float, float]:
    """A linear combination of coefficients: estimate, SE, z and two-sided p."""
    estimate = float(weights @ params)
    se = float(np.sqrt(max(weights @ cov @ weights, 0.0)))
    z = estimate / se if se > 0 else float("nan")
    return estimate, se, z, float(2 * norm.sf(abs(z))) if se > 0 else float("nan")


def _effects(design: Design, rows: pd.DataFrame, spec: StudyModel, params, cov) -> pd.DataFrame:
    out = []
    persona = design.names.index("persona")
    for level in design.levels:
        weights = np.zeros(len(params))
        weights[persona] = 1.0
        mask = np.ones(len(rows), dtype=bool)
        if level is not None:
            mask = (rows[spec.factor] == level).to_numpy()
            if level != NONE:
                weights[design.names.index(f"persona:{spec.factor}[T.{level}]")] = 1.0
        logodds, se, z, p = _linear(params, cov, weights)
        out.append({"level": level or "(all)", "n_rows": int(mask.sum()),
                    "ame_pp": 100 * _ame_over(design, params, mask, level),
                    "logodds": logodds, "se_logodds": se, "z": z, "p": p})
    if spec.name == "model4":
        weights = np.zeros(len(params))
        weights[design.interaction_columns()] = 1.0  # one column: persona:belief[T.incorrect]
        if len(design.interaction_columns()) == 1:
            logodds, se, z, p = _linear(params, cov, weights)
            out.append({"level": "interaction", "n_rows": len(rows), "ame_pp": float("nan"),
                        "logodds": logodds, "se_logodds": se, "z": z, "p": p})
    return pd.DataFrame(out).assign(model=spec.name)


def _ame_over(design: Design, params: np.ndarray, mask: np.ndarray, level) -> float:
    """Mean over the rows in ``mask`` of P(error | persona 1) − P(error | persona 0)."""
    if not mask.any():
        return float("nan")
    if level is None:
        return ame(design, params)[0]
    eta = design.static[mask] @ params[design.static_idx]
    on = expit(eta + design.dynamic_row(1.0, level) @ params[design.dynamic_idx])
    off = expit(eta + design.dynamic_row(0.0, level) @ params[design.dynamic_idx])
    return float(np.mean(on - off))


def _coefficients(names, params, cov) -> pd.DataFrame:
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = params / se
    return pd.DataFrame({"term": names, "coef_logodds": params, "se_logodds": se, "z": z,
                         "p": 2 * norm.sf(np.abs(z)),
                         "separated": (se > MAX_SE) | (np.abs(params) > MAX_ABS_COEF)})
