"""Design matrices, GLM fitting and average marginal effects for :mod:`~warmreg.analysis.glm`.

A :class:`Design` holds the columns of one logit model over units — distinct covariate
patterns weighted by their count, or rows — and builds the counterfactual designs an
average marginal effect needs. :func:`fit_glm` fits it with statsmodels and refuses
results that are not estimates (no convergence, diverging coefficients).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from statsmodels.tools.sm_exceptions import ConvergenceWarning

MAX_ABS_COEF = 20.0  # |log-odds| beyond this means (quasi-)separation, not an estimate
MAX_SE = 100.0  # likewise a standard error (log-odds) this large


def _codes(values: pd.Series, levels) -> np.ndarray:
    return values.astype("category").cat.set_categories(levels).cat.codes.to_numpy()


class Design:
    """Design matrices of one GLM over units: covariate patterns (weight = their
    count, column ``size``) or rows (weight 1).

    Args:
        units: ``size``, ``persona``, the fixed-effect columns and the factor column.
        factor: the column crossed with persona, or None.
        fixed: fixed-effect column → its levels (the first is the baseline).
        levels: the factor's levels, reference first ([None] without a factor).
        length: z-scored length covariate per unit, or None.

    Columns: const, persona, fixed-effect dummies, factor dummies, persona × factor
    dummies, length. Setting persona and the factor level for every unit (what an AME
    does) changes only the "dynamic" columns, to the same values on every unit, so a
    counterfactual design is the static columns plus one constant row.
    """

    def __init__(self, units: pd.DataFrame, factor: str | None, fixed: dict, levels: list,
                 length: np.ndarray | None = None):
        self.factor, self.levels = factor, levels
        self.weights = units["size"].to_numpy(dtype=float)
        self.persona = units["persona"].to_numpy(dtype=float)
        n, static, fe_names = len(units), [np.ones((len(units), 1))], []
        for column, column_levels in fixed.items():
            codes = _codes(units[column], column_levels)
            static.append(codes[:, None] == np.arange(1, len(column_levels)))
            fe_names += [f"{column}[T.{x}]" for x in column_levels[1:]]
        factor_names = []
        if factor:
            self.codes = _codes(units[factor], levels)
            factor_names = [f"{factor}[T.{x}]" for x in levels[1:]]
            factor_names += [f"persona:{factor}[T.{x}]" for x in levels[1:]]
        if length is not None:
            static.append(length[:, None])
        self.static = np.hstack(static).astype(float) if n else np.empty((0, len(static)))
        self.names = ["const", "persona", *fe_names, *factor_names]
        self.names += ["log_length_z"] * (length is not None)
        n_fe, n_factor, k = len(fe_names), len(factor_names), len(self.names)
        self.static_idx = np.array([0, *range(2, 2 + n_fe), *[k - 1] * (length is not None)])
        self.dynamic_idx = np.array([1, *range(2 + n_fe, 2 + n_fe + n_factor)])

    def interaction_columns(self) -> list[int]:
        return [i for i, name in enumerate(self.names) if name.startswith("persona:")]

    def dynamic(self, persona: np.ndarray) -> np.ndarray:
        """Dynamic columns (persona, factor dummies, interactions) for each unit."""
        if not self.factor:
            return persona[:, None]
        dummies = (self.codes[:, None] == np.arange(1, len(self.levels))).astype(float)
        return np.hstack([persona[:, None], dummies, dummies * persona[:, None]])

    def dynamic_row(self, persona: float, level: str | None) -> np.ndarray:
        """Dynamic columns of a unit with persona and the factor level set."""
        if not self.factor:
            return np.array([persona])
        dummies = (np.arange(1, len(self.levels)) == self.levels.index(level)).astype(float)
        return np.concatenate([[persona], dummies, dummies * persona])

    def matrix(self) -> np.ndarray:
        """The observed design (columns in :attr:`names` order)."""
        exog = np.empty((len(self.weights), len(self.names)))
        exog[:, self.static_idx] = self.static
        exog[:, self.dynamic_idx] = self.dynamic(self.persona)
        return exog


def fit_glm(design: Design, endog: np.ndarray, start=None, groups=None):
    """Fitted statsmodels GLM results (IRLS; from ``start`` when given), or why there are none.

    Quasi-separation does not stop the fit: the estimates of separated terms diverge
    and :func:`separated_terms` names them; the rows stay in the fit and in every AME.
    """
    exog = design.matrix()
    if np.linalg.matrix_rank(exog.T @ exog, hermitian=True) < exog.shape[1]:
        return "design is rank deficient (a factor level appears in one arm only?)"
    model = sm.GLM(endog, exog, family=sm.families.Binomial())
    kwargs = {} if start is None else {"start_params": start}
    if groups is not None:
        kwargs.update(cov_type="cluster", cov_kwds={"groups": groups})
    # statsmodels' PerfectSeparationWarning also fires for a saturated model of
    # collapsed counts (fitted proportions equal the observed ones), which is fine;
    # real separation shows as diverging coefficients, reported by separated_terms.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(**kwargs)
    if not result.converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return "fit did not converge"
    if not np.all(np.isfinite(np.asarray(result.params))):
        return "fit gave non-finite coefficients"
    return result


def separated_terms(names: list[str], params, bse) -> list[str]:
    """Terms whose estimate diverges (quasi-separation): |coef| or SE beyond the limits."""
    params, bse = np.asarray(params), np.asarray(bse)
    diverging = (np.abs(params) > MAX_ABS_COEF) | ~np.isfinite(bse) | (bse > MAX_SE)
    return [name for name, flag in zip(names, diverging) if flag]


def ame(design: Design, params: np.ndarray, level: str | None = None):
    """AME of persona at ``level`` (proportion) and its gradient w.r.t. ``params``.

    AME = sum_i w_i [expit(x_i1 b) − expit(x_i0 b)] / sum_i w_i, where x_i1 / x_i0 are
    unit i with persona on / off (and the factor at ``level``). Its gradient is
    sum_i w_i [s_i1 x_i1 − s_i0 x_i0] / sum_i w_i with s = p(1 − p).
    """
    w = design.weights / design.weights.sum()
    eta_static = design.static @ params[design.static_idx]
    gradient = np.zeros(len(params))
    effect = 0.0
    for sign, persona in ((1.0, 1.0), (-1.0, 0.0)):
        row = design.dynamic_row(persona, level)
        p = expit(eta_static + row @ params[design.dynamic_idx])
        slope = w * p * (1 - p)
        effect += sign * float(w @ p)
        gradient[design.static_idx] += sign * (design.static.T @ slope)
        gradient[design.dynamic_idx] += sign * row * slope.sum()
    return effect, gradient
