"""The long Markdown summary and the per-(model, variant) table of an analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from warmreg.analysis._format import markdown_table
from warmreg.analysis.rates import pooled_delta
from warmreg.api import RELIABILITY

MAX_CELLS = 20  # significant McNemar cells listed in the summary


def summary_markdown(result, images: dict[str, Path]) -> str:
    """``summary.md``: settings, counts, headline table, effects, tests, skipped fits."""
    s, c = result.settings, result.counts
    parts = [
        "# warmreg analysis",
        f"Reference variant `{s['reference']}`; refusals count as correct on "
        f"{', '.join(s['refusal_correct_tasks']) or 'no task'} (and rows flagged "
        f"refusal_is_correct), elsewhere they are excluded. Intervals are "
        f"{100 * (1 - s['alpha']):g}%; GLM covariance "
        f"{'cluster-robust by item' if s['cluster_by_item'] else 'model-based'}"
        f"{', adjusted for response length' if s['length_covariate'] else ''}.",
        f"Rows: {c['n_rows']}; scored {c['n_scored']}; refusals excluded "
        f"{c['n_excluded_refused']}; unparseable {c['n_unparseable']}; endpoint errors "
        f"{c['n_endpoint_error']}.",
        result.to_markdown(),
    ]
    if not result.ames.empty:
        ames = result.ames.drop(columns=["cov_type"])
        parts += ["## Persona effects (AME, pp)", markdown_table(ames, digits=2)]
    if not result.contrasts.empty:
        parts += ["## Interaction contrasts (level minus none, pp; Wald tests on log-odds)",
                  markdown_table(result.contrasts, digits=3)]
    parts += _paired_section(result)
    if result.warmth is not None:
        parts += ["## Warmth check beside the effects", markdown_table(result.warmth)]
    if len(result.skipped):
        parts += ["## Skipped", markdown_table(result.skipped)]
    for name, path in images.items():
        if str(path).endswith(".png"):
            parts.append(f"![{name}]({Path(path).name})")
    return "\n\n".join(parts) + "\n"


def _paired_section(result) -> list[str]:
    deltas = result.deltas
    if deltas.empty:
        return []
    significant = deltas[deltas["significant"]].sort_values("q_value").head(MAX_CELLS)
    header = (f"## Paired tests: {int(deltas['significant'].sum())} of {len(deltas)} cells "
              f"significant (exact McNemar, BH-FDR q < {result.settings['alpha']:g})")
    columns = ["model", "variant", "task", "context", "belief", "n_pairs", "delta_pp",
               "b", "c", "odds_ratio", "cohens_g", "q_value"]
    return [header, markdown_table(significant[columns])] if len(significant) else [header]


def per_model_variant(result) -> pd.DataFrame:
    """One row per (model, variant); see :meth:`AnalysisResult.per_model_variant`."""
    reference = result.settings["reference"]
    rates = result.rates[(result.rates["category"] == RELIABILITY)
                         & (result.rates["context"] == "none")]
    none = rates[rates["belief"] == "none"].groupby(["model", "variant"], observed=True)
    out = pd.concat([(none["n_incorrect"].sum() / none["n"].sum()).rename("error_rate"),
                     none["n"].sum().rename("n_scored")], axis=1).reset_index()
    rows = []
    alpha = result.settings["alpha"]
    deltas = result.deltas[result.deltas["category"] == RELIABILITY]
    for (model, variant), cells in deltas.groupby(["model", "variant"], observed=True):
        row = {"model": model, "variant": variant}
        plain = cells["context"] == "none"
        row.update(pooled_delta(cells[plain & (cells["belief"] == "none")], alpha))
        emotion = cells["context"].astype(str).str.startswith("emotion:")
        for name, chosen in (("sycophancy", plain & (cells["belief"] == "incorrect")),
                             ("emotion", emotion & (cells["belief"] == "none"))):
            if chosen.any():
                effect = pooled_delta(cells[chosen], alpha)
                row.update({f"{name}_delta_pp": effect["delta_pp"],
                            f"{name}_ci_low_pp": effect["delta_ci_low_pp"],
                            f"{name}_ci_high_pp": effect["delta_ci_high_pp"]})
        rows.append(row)
    if rows:
        out = out.merge(pd.DataFrame(rows).drop(columns="n_pairs"), how="left",
                        on=["model", "variant"])
    by_model = result.ames[result.ames["analysis"] == "model"]
    if len(by_model):
        ame = by_model.rename(columns={"level": "model"})[["model", "variant", "ame_pp"]]
        out = out.merge(ame, how="left", on=["model", "variant"])
    if not result.capability.empty:
        cap = result.capability.pivot_table(index=["model", "variant"], columns="task",
                                            values="delta_pp")
        cap.columns = [f"capability_delta_pp/{t}" for t in cap.columns]
        out = out.merge(cap.reset_index(), how="left", on=["model", "variant"])
    if result.model_info:
        info = pd.DataFrame.from_dict(result.model_info, orient="index")
        out = info.rename_axis("model").reset_index().merge(out, on="model", how="right")
    order = out["variant"].ne(reference)
    return out.assign(_o=order).sort_values(["model", "_o", "variant"]).drop(columns="_o") \
        .reset_index(drop=True)
