"""``--spec study``: run the study's four models and McNemar tables, name and write them.

:func:`study_analysis` returns a :class:`StudyResult`: the estimates
(:mod:`warmreg.analysis.study`), the McNemar tables (:mod:`warmreg.analysis.mcnemar`),
flat ``study/...`` metrics and ``study.md``. Metric names (``:`` in a context → ``.``):

================================================================  ======================
name                                                              value
================================================================  ======================
``study/model1/coef_logodds/<variant>``, ``se_logodds``, ``z``,   persona coefficient
``p``
``study/model1/ame_pp/<variant>``                                 AME over all rows (pp)
``study/model2/ame_pp/<variant>/<group>``                         AME over the group (pp)
``study/model2/effect_logodds/<variant>/<group>``,                β_persona + β_int(group)
``effect_se_logodds``, ``effect_p``
``study/model3/...``                                              as model2, per context
``study/model4/ame_pp/<variant>/<belief>``, ``effect_logodds``,   per belief
``effect_se_logodds``, ``effect_p``
``study/model4/interaction_logodds/<variant>``,                   persona × incorrect
``interaction_se_logodds``, ``interaction_p``                     belief (log-odds)
================================================================  ======================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from warmreg.analysis._format import markdown_table
from warmreg.analysis.mcnemar import study_mcnemar
from warmreg.analysis.metrics import metric_key
from warmreg.analysis.study import COEF_COLUMNS, EFFECT_COLUMNS, MODELS, fit_study_model, study_rows


@dataclass
class StudyResult:
    """The study's specification on one results table.

    Attributes:
        effects: one row per (variant, model, level): ``ame_pp`` and the log-odds
            effect with SE, z and p (:data:`~warmreg.analysis.study.EFFECT_COLUMNS`).
        coefficients: every coefficient of every fit, with a ``separated`` flag.
        mcnemar: the paired tables (:data:`~warmreg.analysis.mcnemar.COLUMNS`).
        notes: (variant, model, note) for skipped fits and fit warnings.
        settings: reference and length covariate.
    """

    effects: pd.DataFrame
    coefficients: pd.DataFrame
    mcnemar: pd.DataFrame
    notes: pd.DataFrame
    settings: dict
    metrics: dict[str, float] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """``study.md``, ``study_mcnemar.csv``, ``study_effects.csv``, ``study_coefficients.csv``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"study_md": out / "study.md", "study_mcnemar": out / "study_mcnemar.csv",
                 "study_effects": out / "study_effects.csv",
                 "study_coefficients": out / "study_coefficients.csv"}
        paths["study_md"].write_text(self.to_markdown(mcnemar=True))
        self.mcnemar.to_csv(paths["study_mcnemar"], index=False)
        self.effects.to_csv(paths["study_effects"], index=False)
        self.coefficients.to_csv(paths["study_coefficients"], index=False)
        return paths

    def to_markdown(self, mcnemar: bool = False) -> str:
        """The four models' tables (and, for ``study.md``, every McNemar table)."""
        length = "with" if self.settings["length_covariate"] else "without"
        parts = [f"## The study's specification (vs `{self.settings['reference']}`, {length} "
                 "response length)",
                 "`ame_pp`: counterfactual AME in percentage points over every row of the "
                 "level (model1: of the subset). `logodds`: persona effect on the log-odds "
                 "scale (β_persona + β_interaction), delta-method SE, z, p."]
        for spec in MODELS:
            rows = self.effects[self.effects["model"] == spec.name]
            if rows.empty:
                continue
            parts += [f"### {spec.title}", markdown_table(rows.drop(columns="model"))]
        separated = self.coefficients[self.coefficients["separated"]]
        if len(separated):
            parts += ["### Terms with diverging estimates (quasi-separation; rows kept)",
                      markdown_table(separated[["variant", "model", "term", "coef_logodds",
                                                "se_logodds"]])]
        if len(self.notes):
            parts += ["### Notes", markdown_table(self.notes)]
        parts += self._mcnemar_parts(mcnemar)
        return "\n\n".join(parts) + "\n"

    def _mcnemar_parts(self, full: bool) -> list[str]:
        table = self.mcnemar
        if table.empty:
            return []
        significant = int(table["significant_bh"].sum())
        head = (f"### Paired McNemar tests ({len(table)} tests, {significant} significant "
                "after BH within each table; `sqrt_chi2` is what the study's script calls "
                "Cohen's g, `cohens_g` is b/(b+c) − 0.5)")
        if not full:
            return [head, "_Every table: study_mcnemar.csv and study.md._"]
        return [head, markdown_table(table)]


def study_analysis(scored: pd.DataFrame, *, reference: str = "original",
                   length_covariate: bool = False, alpha: float = 0.05) -> StudyResult:
    """Fit models 1–4 for each variant against ``reference`` and build the McNemar tables.

    Args:
        scored: a scored table (:func:`~warmreg.analysis.policy.apply_refusal_policy`).
        reference: the variant with persona off.
        length_covariate: add raw response length (characters), as ``INCLUDE_LENGTH``.
        alpha: FDR level of the McNemar tables.
    """
    data = study_rows(scored, reference)
    effects, coefficients, notes = [], [], []
    for variant in sorted(set(data["variant"]) - {reference}):
        pair = data[data["variant"].isin([reference, variant])]
        for spec in MODELS:
            fitted = fit_study_model(pair, spec, length_covariate=length_covariate)
            if isinstance(fitted, str):
                notes.append({"variant": variant, "model": spec.name, "note": f"skipped: {fitted}"})
                continue
            effect, coefs, fit_notes = fitted
            effects.append(effect.assign(variant=variant))
            coefficients.append(coefs.assign(variant=variant, model=spec.name))
            notes += [{"variant": variant, "model": spec.name, "note": n} for n in fit_notes]
    result = StudyResult(
        effects=_frame(effects, EFFECT_COLUMNS), coefficients=_frame(coefficients, COEF_COLUMNS),
        mcnemar=study_mcnemar(scored, reference=reference, alpha=alpha),
        notes=pd.DataFrame(notes, columns=["variant", "model", "note"]),
        settings={"reference": reference, "length_covariate": length_covariate})
    result.metrics = study_metrics(result.effects)
    return result


def _frame(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


_MODEL1 = {"coef_logodds": "logodds", "se_logodds": "se_logodds", "z": "z", "p": "p",
           "ame_pp": "ame_pp"}
_LEVELS = {"ame_pp": "ame_pp", "effect_logodds": "logodds", "effect_se_logodds": "se_logodds",
           "effect_p": "p"}
_INTERACTION = {"interaction_logodds": "logodds", "interaction_se_logodds": "se_logodds",
                "interaction_p": "p"}


def study_metrics(effects: pd.DataFrame) -> dict[str, float]:
    """The ``study/...`` metrics of an effects table (non-finite values left out)."""
    metrics = {}
    for row in effects.to_dict("records"):
        model, variant, level = row["model"], row["variant"], row["level"]
        if model == "model1":
            names = {metric_key("study", model, name, variant): column
                     for name, column in _MODEL1.items()}
        elif level == "interaction":
            names = {metric_key("study", model, name, variant): column
                     for name, column in _INTERACTION.items()}
        else:
            names = {metric_key("study", model, name, variant, level): column
                     for name, column in _LEVELS.items()}
        for name, column in names.items():
            value = float(row[column])
            if pd.notna(value) and abs(value) != float("inf"):
                metrics[name] = value
    return metrics
