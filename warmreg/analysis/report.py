"""The whole analysis of a results table, as one value the runner can log and write.

:func:`analyze` runs every step (policy, rates, paired tests, GLMs, capability
controls, warmth) and returns an :class:`AnalysisResult`: the tables as DataFrames, a
flat ``metrics`` dict (names in :mod:`warmreg.analysis.metrics`), ``write(out_dir)``
for CSVs, ``summary.md`` and figures, and ``to_markdown()`` for the end-of-run table.
Steps that the data cannot support are skipped with a reason in ``skipped``.

``spec`` chooses the inferential specification: ``warmreg`` (its own GLMs,
:mod:`warmreg.analysis.glm`), ``study`` (the study's released models and McNemar tables,
:mod:`warmreg.analysis.study_report`, instead of warmreg's GLMs) or ``both``. The
descriptive tables (rates, paired deltas, capability, warmth) are the same in each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from warmreg.analysis import figures
from warmreg.analysis._format import markdown_table, percent, pp
from warmreg.analysis.capability import capability_controls
from warmreg.analysis.flips import flip_rates
from warmreg.analysis.glm import empty_tables, persona_effects
from warmreg.analysis.metrics import build_metrics
from warmreg.analysis.paired import COUNTS, mcnemar_tests, paired_counts
from warmreg.analysis.policy import DEFAULT_REFUSAL_CORRECT_TASKS, apply_refusal_policy
from warmreg.analysis.rates import error_rates, paired_deltas
from warmreg.analysis.reading import (MIN_SCORED_SHARE, effect_text, headline, refusal_line,
                                      scored_markdown)
from warmreg.analysis.results import CELL, AnalysisError, ResultsError, validate_results
from warmreg.analysis.study_report import StudyResult, study_analysis
from warmreg.analysis.warmth import (evaluated_epochs, validate_warmth, warmth_at_epoch,
                                     warmth_beside_effects)
from warmreg.api import RELIABILITY
from warmreg.errors import did_you_mean

SPECS = ("warmreg", "study", "both")
TABLES = ("rates", "deltas", "ames", "contrasts", "coefficients", "capability", "skipped")


@dataclass
class AnalysisResult:
    """Every table of an analysis, and its metrics.

    Attributes:
        rates: error rate and Wilson CI per (model, variant, task, context, belief).
        deltas: per cell, paired delta vs the reference (Newcombe CI), exact McNemar,
            odds ratio, Cohen's g, BH q-value.
        ames: persona AMEs (pp) from the GLMs, by analysis and level.
        contrasts: AME differences between levels and Wald tests of interactions.
        coefficients: the GLM coefficients (log-odds).
        capability: capability deltas with the equivalence test.
        skipped: analyses that could not run, with the reason.
        warmth: the warmth check at the evaluated epoch beside the effects, or None.
        warmth_by_epoch: the validated warmth table (every checkpoint), or None.
        counts: row totals (n_rows, n_scored, n_excluded_refused, n_unparseable,
            n_endpoint_error).
        settings: the options the analysis ran with.
        model_info: model → {"family", "size"} where the table has those columns.
        metrics: flat name → value, see :mod:`warmreg.analysis.metrics` (and
            :mod:`warmreg.analysis.study_report` for ``study/...``).
        study: the study's own specification (``spec`` study or both), or None.
    """

    rates: pd.DataFrame
    deltas: pd.DataFrame
    ames: pd.DataFrame
    contrasts: pd.DataFrame
    coefficients: pd.DataFrame
    capability: pd.DataFrame
    skipped: pd.DataFrame
    warmth: pd.DataFrame | None
    warmth_by_epoch: pd.DataFrame | None
    counts: dict[str, int]
    settings: dict
    model_info: dict[str, dict[str, str]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    study: StudyResult | None = None
    flips: pd.DataFrame = field(default_factory=pd.DataFrame)  # multi-turn: analysis.flips

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write every table (CSV), ``metrics.json``, ``summary.md`` and the figures.

        Returns:
            Artifact name → path (what the runner logs).
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name in TABLES:
            paths[name] = out / f"{name}.csv"
            getattr(self, name).to_csv(paths[name], index=False)
        paths["per_model_variant"] = out / "per_model_variant.csv"
        self.per_model_variant().to_csv(paths["per_model_variant"], index=False)
        paths["metrics"] = out / "metrics.json"
        paths["metrics"].write_text(json.dumps(self.metrics, indent=1, sort_keys=True))
        paths.update(self._figures(out))
        if not self.flips.empty:
            paths["flips"] = out / "flips.csv"
            self.flips.to_csv(paths["flips"], index=False)
        if self.warmth is not None:
            paths["warmth"] = out / "warmth.csv"
            self.warmth.to_csv(paths["warmth"], index=False)
        if self.study is not None:
            paths.update(self.study.write(out))
        paths["summary"] = out / "summary.md"
        paths["summary"].write_text(self.summary_markdown(images=paths))
        return paths

    def _figures(self, out: Path) -> dict[str, Path]:
        paths = {}
        if not self.rates.empty:
            reference = self.settings["reference"]
            paths["error_rates_png"] = figures.plot_error_rates(
                self.rates[self.rates["category"] == RELIABILITY], out / "error_rates.png",
                reference=reference)
        if not self.ames.empty:
            paths["forest_png"] = figures.plot_forest(self.ames, out / "forest.png")
        if self.warmth_by_epoch is not None and not self.warmth_by_epoch.empty:
            paths["warmth_png"] = figures.plot_warmth(self.warmth_by_epoch, out / "warmth.png")
        return paths

    def to_markdown(self) -> str:
        """The end-of-run summary: the study's tables (spec study/both), then warmreg's."""
        study = [self.study.to_markdown()] if self.study is not None else []
        if self.settings.get("spec") == "study":
            return "\n\n".join(study)
        return "\n\n".join(study + [self._warmreg_markdown()])

    def _warmreg_markdown(self) -> str:
        """Error rates, deltas, persona effects, controls and warmth (warmreg's spec)."""
        parts = ["### Error rates (items scored) and deltas vs "
                 f"`{self.settings['reference']}` (context none, belief none)",
                 markdown_table(self._headline())]
        scored = scored_markdown(self.rates, self.settings.get("min_scored_share", MIN_SCORED_SHARE))
        if scored:
            parts += ["### Scored replies per cell", scored]
        refused = refusal_line(self.rates, RELIABILITY)
        if refused:
            parts.append(refused)
        effects = self._effects_line()
        if effects:
            cov = "cluster-robust by item" if self.settings["cluster_by_item"] else "model-based"
            parts += ["### Persona effect (AME, pp, 95% CI; binomial GLM, model and task "
                      f"fixed effects, {cov} SEs; each AME averages over every fitted row, "
                      "population in ames.csv)", effects]
        if not self.capability.empty:
            cap = self.capability.assign(
                delta=[effect_text(*r) for r in self.capability[["delta_pp", "ci_low_pp",
                                                        "ci_high_pp"]].to_numpy()])
            parts += [f"### Capability controls (equivalence margin ±"
                      f"{self.settings['equivalence_margin_pp']:g} pp)",
                      markdown_table(cap[["model", "variant", "task", "metric", "n_pairs",
                                          "delta", "equivalent"]])]
        if not self.flips.empty:
            parts += [f"### Own answer challenged (multi-turn; rate [95% CI] (n), paired Δ vs "
                      f"`{self.settings['reference']}` in pp)", markdown_table(self._flips())]
        if self.warmth is not None and not self.warmth.empty:
            columns = [c for c in ("model", "variant", "epoch") if c in self.warmth
                       and self.warmth[c].astype(str).str.strip().ne("").any()]
            warmth = self.warmth.assign(
                epoch=[f"{e:g}" if pd.notna(e) else "–" for e in self.warmth["epoch"]],
                score=[f"{s:+.3f} [{lo:+.3f}, {hi:+.3f}]" for s, lo, hi in
                       self.warmth[["score", "ci_low", "ci_high"]].to_numpy()],
                delta=self.warmth["delta"].map("{:+.3f}".format))
            parts += [f"### Warmth check (manipulation check; delta vs `{self.settings['reference']}`)",
                      markdown_table(warmth[columns + ["score", "delta"]])]
        if len(self.skipped):
            parts.append(f"_{len(self.skipped)} analyses skipped; see skipped.csv._")
        return "\n\n".join(parts) + "\n"

    def _headline(self) -> pd.DataFrame:
        reference = self.settings["reference"]
        rates = self.rates[(self.rates["context"] == "none") & (self.rates["belief"] == "none")
                           & (self.rates["category"] == RELIABILITY)]
        deltas = self.deltas[(self.deltas["context"] == "none")
                             & (self.deltas["belief"] == "none")]
        # "40.0% (20)": the rate and the items it is over (refused and unparseable excluded)
        rates = rates.assign(shown=[f"{percent(r)} ({int(n)})" for r, n in
                                    rates[["error_rate", "n"]].to_numpy()])
        table = (rates[rates["variant"] == reference][["model", "task", "shown"]]
                 .rename(columns={"shown": reference}))
        for variant in sorted(set(rates["variant"]) - {reference}):
            mine = rates[rates["variant"] == variant][["model", "task", "shown"]]
            table = table.merge(mine.rename(columns={"shown": variant}), how="outer",
                                on=["model", "task"])
            d = deltas[deltas["variant"] == variant]
            d = d.assign(**{f"Δ {variant} (pp)": [effect_text(*r) for r in d[
                ["delta_pp", "ci_low_pp", "ci_high_pp"]].to_numpy()]})
            table = table.merge(d[["model", "task", f"Δ {variant} (pp)"]], how="left",
                                on=["model", "task"])
        return table.sort_values(["model", "task"]).fillna("–").reset_index(drop=True)

    def _flips(self) -> pd.DataFrame:
        """First-answer accuracy, caved and corrected rates per variant, with CIs."""
        table = self.flips[["model", "variant", "task"]].copy()
        for measure, title in (("first_accuracy", "first answer right"),
                               ("caved", "caved (right → wrong)"),
                               ("corrected", "corrected (wrong → right)")):
            table[title] = [
                f"{percent(r)} [{percent(lo)}, {percent(hi)}] ({int(n)})"
                + ("" if pd.isna(d) else f", Δ {pp(d, dlo, dhi)}")
                for r, lo, hi, n, d, dlo, dhi in self.flips[
                    [measure, f"{measure}_ci_low", f"{measure}_ci_high", f"{measure}_n",
                     f"{measure}_delta_pp", f"{measure}_ci_low_pp",
                     f"{measure}_ci_high_pp"]].to_numpy()]
        return table

    def _effects_line(self) -> str:
        shown = self.ames[self.ames["analysis"].isin(["main", "group", "belief"])
                          & (self.ames["level"] != "none")]
        if shown.empty:
            return ""
        label = shown["analysis"].where(shown["analysis"] == "main",
                                        shown["analysis"] + ": " + shown["level"])
        shown = shown.assign(effect=label, value=[effect_text(*r) for r in shown[
            ["ame_pp", "ci_low_pp", "ci_high_pp"]].to_numpy()])
        wide = shown.pivot(index="variant", columns="effect", values="value")
        return markdown_table(wide.reset_index())

    def headline(self) -> str:
        """The headline finding in one sentence (:func:`warmreg.analysis.reading.headline`)."""
        return headline(self.ames, self.settings["reference"], self.settings["alpha"])

    def summary_markdown(self, images: dict[str, Path] | None = None) -> str:
        """The long summary written as ``summary.md``."""
        from warmreg.analysis.summary import summary_markdown

        return summary_markdown(self, images or {})

    def per_model_variant(self) -> pd.DataFrame:
        """One row per (model, variant): the figures a cross-architecture table compares.

        Columns: ``error_rate`` (reliability tasks pooled, context none, belief
        none), ``delta_pp`` with ``delta_ci_low_pp``/``delta_ci_high_pp`` (pooled
        paired delta, Newcombe CI), ``sycophancy_delta_pp`` (the same under an
        incorrect belief), ``ame_pp`` (main effect within the model) and
        ``capability_delta_pp/<task>`` columns. Feed it to
        :func:`~warmreg.analysis.compare.compare_table` with ``family`` and ``size``.
        """
        from warmreg.analysis.summary import per_model_variant

        return per_model_variant(self)

    def variant_metrics(self) -> dict[tuple[str, str], dict[str, float]]:
        """Metrics for each (model, variant) child run, named without model and variant.

        ``error_rate/<task>/<context>/<belief>``, ``delta_pp/<task>/<context>/<belief>``
        and the :meth:`per_model_variant` columns (``pooled/error_rate``,
        ``pooled/delta_pp``, ..., ``ame_pp/main``, ``capability_delta_pp/<task>``), so
        child runs of different architectures compare column by column in MLflow.
        """
        from warmreg.analysis.metrics import variant_metrics

        return variant_metrics(self)


def analyze(
    df: pd.DataFrame,
    *,
    reference: str = "original",
    refusal_correct_tasks: Sequence[str] = DEFAULT_REFUSAL_CORRECT_TASKS,
    equivalence_margin_pp: float = 2.0,
    length_covariate: bool = False,
    cluster_by_item: bool = True,
    warmth: pd.DataFrame | None = None,
    alpha: float = 0.05,
    spec: str = "warmreg",
    evaluate_epoch: float | None = None,
    min_scored_share: float = MIN_SCORED_SHARE,
) -> AnalysisResult:
    """Run the study's statistics on a per-item results table.

    Args:
        df: one row per judged generation (columns in ``docs/results-format.md``).
        reference: the variant every other variant is compared with.
        refusal_correct_tasks: tasks where a refusal counts as correct.
        equivalence_margin_pp: capability equivalence margin (pp).
        length_covariate: adjust the main-effect GLMs for response length (and, in
            the study's specification, every model for raw length in characters).
        cluster_by_item: cluster-robust GLM standard errors by (task, item_id)
            (warmreg's specification; the study's is model-based, as released).
        warmth: the warmth check table (variant, epoch, score, ci_low, ci_high).
        alpha: 1 − confidence level of every interval; FDR level.
        spec: ``warmreg`` (its own GLMs), ``study`` (the study's released
            specification, :mod:`warmreg.analysis.study`) or ``both``.
        evaluate_epoch: the evaluated checkpoint for the warmth check; by default
            the table's ``evaluated`` rows, else the results' ``checkpoint_epoch``.
        min_scored_share: cells with a smaller share of replies scored (not refused,
            not unparseable) are flagged in the end-of-run table.

    Raises:
        ResultsError: a malformed table or no rows for ``reference``.
        AnalysisError: an impossible option (alpha, margin) or a length covariate
            without responses.
    """
    if not 0 < alpha < 1:
        raise AnalysisError(f"alpha must be in (0, 1), got {alpha}")
    if spec not in SPECS:
        raise AnalysisError(f"unknown analysis spec '{spec}'{did_you_mean(spec, SPECS)} "
                            f"(choose from: {', '.join(SPECS)})")
    frame = validate_results(df)
    variants = sorted(frame["variant"].unique())
    if reference not in variants:
        raise ResultsError(f"no rows for the reference variant '{reference}'"
                           f"{did_you_mean(reference, variants)} (variants: {', '.join(variants)})")
    scored = apply_refusal_policy(frame, refusal_correct_tasks)
    counts = paired_counts(scored, reference=reference)
    deltas = paired_deltas(counts, alpha=alpha).merge(
        mcnemar_tests(counts, alpha=alpha)[[*CELL, *COUNTS, "b", "c", "odds_ratio", "cohens_g",
                                            "p_value", "q_value", "significant"]], on=list(CELL))
    glm = (empty_tables() if spec == "study" else
           persona_effects(scored, reference=reference, length_covariate=length_covariate,
                           cluster_by_item=cluster_by_item, alpha=alpha))
    study = None if spec == "warmreg" else study_analysis(
        scored, reference=reference, length_covariate=length_covariate, alpha=alpha)
    settings = dict(reference=reference, refusal_correct_tasks=list(refusal_correct_tasks),
                    equivalence_margin_pp=equivalence_margin_pp, alpha=alpha,
                    length_covariate=length_covariate, cluster_by_item=cluster_by_item,
                    spec=spec, min_scored_share=min_scored_share)
    result = AnalysisResult(
        rates=_plain(error_rates(scored, alpha=alpha)), deltas=_plain(deltas), ames=glm.ames,
        contrasts=glm.contrasts, coefficients=glm.coefficients,
        capability=_plain(capability_controls(scored, reference=reference,
                                              margin_pp=equivalence_margin_pp, alpha=alpha)),
        skipped=glm.skipped,
        warmth=None if warmth is None else warmth_beside_effects(
            warmth_at_epoch(warmth, evaluate_epoch, reference=reference,
                            evaluated=evaluated_epochs(frame)), glm.ames),
        warmth_by_epoch=None if warmth is None else validate_warmth(warmth),
        counts=_counts(scored), settings=settings, model_info=_model_info(frame), study=study,
        flips=_plain(flip_rates(frame, reference=reference, alpha=alpha)))
    result.metrics = build_metrics(result) | (study.metrics if study else {})
    return result


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Categorical key columns as plain text, so result tables concatenate and compare."""
    for column in table.columns:
        if isinstance(table[column].dtype, pd.CategoricalDtype):
            table[column] = table[column].astype(str)
    return table


def _model_info(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    """family and size of each model, where the results table carries them."""
    columns = [c for c in ("family", "size") if c in frame.columns]
    if not columns:
        return {}
    first = frame.drop_duplicates("model").set_index("model")[columns]
    return {str(m): {c: "" if pd.isna(v) else str(v) for c, v in row.items()}
            for m, row in first.iterrows()}


def _counts(scored: pd.DataFrame) -> dict[str, int]:
    exclusion = scored["exclusion"].value_counts()
    return {"n_rows": len(scored), "n_scored": int(exclusion.get("kept", 0)),
            "n_excluded_refused": int(exclusion.get("refused", 0)),
            "n_unparseable": int(exclusion.get("unparseable", 0)),
            "n_endpoint_error": int(exclusion.get("endpoint_error", 0))}

