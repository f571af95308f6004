"""The cross-architecture table: one row per (model, variant) across runs.

The runner (or anything reading MLflow) supplies one row per (model, variant) with
``model``, ``variant``, optionally ``family`` and ``size`` (e.g. "135M", "7B"), and
metric columns — for instance :meth:`AnalysisResult.per_model_variant` joined with the
model specs. :func:`compare_table` orders the rows by family, parameter count, model
and variant (reference first) and renders them as Markdown, CSV and a self-contained
HTML report with the chart embedded as a base64 PNG.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from warmreg.analysis._format import markdown_table
from warmreg.analysis.results import AnalysisError

ID_COLUMNS = ("family", "size", "model", "variant")
# The per-variant metrics a comparison shows (``warmreg compare`` and the run's own report).
HEADLINE = re.compile(r"^(pooled/|ame_pp/main$|error_rate/[^/]+/none/none$|delta_pp/[^/]+/none/none$"
                      r"|capability_delta_pp/)")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMbBtT]?)")
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


# What a reader sees for each metric column (the CSV keeps the metric names).
LABELS = {
    "pooled/error_rate": "error rate (no context, no belief)",
    "pooled/n_scored": "items scored",
    "pooled/delta_pp": "Δ error, pp",
    "pooled/sycophancy_delta_pp": "Δ error under the user's wrong belief, pp",
    "pooled/emotion_delta_pp": "Δ error with an emotional user, pp",
    "ame_pp/main": "persona AME, pp",
}
# The headline effects of the forest plot: (label, estimate, CI low, CI high).
EFFECTS = (
    ("main (no context)", "pooled/delta_pp", "pooled/delta_ci_low_pp", "pooled/delta_ci_high_pp"),
    ("incorrect belief", "pooled/sycophancy_delta_pp", "pooled/sycophancy_ci_low_pp",
     "pooled/sycophancy_ci_high_pp"),
    ("emotional context", "pooled/emotion_delta_pp", "pooled/emotion_ci_low_pp",
     "pooled/emotion_ci_high_pp"),
)
_CI_OF = {estimate: (low, high) for _, estimate, low, high in EFFECTS}


@dataclass
class Comparison:
    """A cross-architecture table and its renderings."""

    table: pd.DataFrame
    metrics: list[str]

    def display(self) -> pd.DataFrame:
        """The table as a reader sees it: human column names, an estimate and its CI in one
        cell ("7.5 [2.1, 12.9]"), rates as percentages, no column without a value."""
        table = self.table.copy()
        shown = {}
        for column in self.metrics:
            values = table[column]
            if column in _CI_OF and set(_CI_OF[column]) <= set(table.columns):
                low, high = (table[c] for c in _CI_OF[column])
                values = [f"{v:+.1f} [{lo:+.1f}, {hi:+.1f}]" if v == v else np.nan
                          for v, lo, hi in zip(values, low, high)]
            elif column.endswith("error_rate"):
                values = [f"{v:.1%}" if v == v else np.nan for v in values]
            shown[LABELS.get(column, column)] = values
        skip = {c for low_high in _CI_OF.values() for c in low_high}
        out = pd.concat([table[list(ID_COLUMNS)],
                         pd.DataFrame({k: v for k, v in shown.items() if k not in skip},
                                      index=table.index)], axis=1)
        return out.dropna(axis=1, how="all").loc[:, lambda f: (f.astype(str) != "").any()]

    def to_markdown(self) -> str:
        """The table in Markdown (human column names, no empty columns)."""
        return markdown_table(self.display())

    def to_html(self, title: str = "warmreg: persona effects across architectures") -> str:
        """A self-contained HTML page: the forest plot of the headline effects with their
        CIs, error rates with the items each rests on, and the table (inline PNGs)."""
        from warmreg.analysis.figures import effects_forest_png, error_rates_png

        figures = []
        for heading, png in (("Persona effects with 95% CIs, by architecture",
                              effects_forest_png(self.table, EFFECTS)),
                             ("Error rates (items scored)", error_rates_png(self.table))):
            if png:
                data = base64.b64encode(png).decode("ascii")
                figures.append(f"<h2>{html.escape(heading)}</h2>"
                               f'<img alt="{html.escape(heading)}" src="data:image/png;base64,{data}">')
        table = self.display().to_html(index=False, na_rep="", float_format=lambda x: f"{x:.3g}",
                                       border=0, classes="warmreg")
        style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                 "td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right}"
                 "th{background:#f4f4f4}")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
                f"</title><style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
                f"{''.join(figures)}<h2>Table</h2>{table}</body></html>\n")

    def write(self, out_dir: str | Path, stem: str = "compare") -> dict[str, Path]:
        """Write ``<stem>.csv``, ``<stem>.md`` and ``<stem>.html``; return their paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"csv": out / f"{stem}.csv", "md": out / f"{stem}.md", "html": out / f"{stem}.html"}
        self.table.to_csv(paths["csv"], index=False)
        paths["md"].write_text(self.to_markdown() + "\n")
        paths["html"].write_text(self.to_html())
        return paths


def compare_table(
    runs: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    reference: str = "original",
) -> Comparison:
    """Order and select the cross-architecture table.

    Args:
        runs: one row per (model, variant); ``model`` and ``variant`` required,
            ``family`` and ``size`` optional (empty when absent).
        metrics: metric columns to keep, in order (default: every numeric column).
        reference: the variant listed first within each model.

    Raises:
        AnalysisError: a required or requested column is missing.
    """
    for column in ("model", "variant", *(metrics or ())):
        if column not in runs.columns:
            raise AnalysisError(f"compare table: missing column '{column}'")
    table = runs.copy()
    for column in ("family", "size"):
        table[column] = table[column].fillna("").astype(str) if column in table else ""
    if metrics is None:
        metrics = [c for c in table.columns if c not in ID_COLUMNS
                   and pd.api.types.is_numeric_dtype(table[c])
                   and not pd.api.types.is_bool_dtype(table[c])]
    order = table.assign(_params=table["size"].map(parameter_count),
                         _ref=table["variant"].ne(reference))
    order = order.sort_values(["family", "_params", "model", "_ref", "variant"],
                              na_position="last")
    table = order[[*ID_COLUMNS, *metrics]].reset_index(drop=True)
    return Comparison(table=table, metrics=list(metrics))


def comparison_of(result, reference: str = "original") -> Comparison:
    """The comparison of one analysis's own models and variants (the per-variant metrics)."""
    info = getattr(result, "model_info", None) or {}
    rows = [{"model": model, "variant": variant, **info.get(model, {}), **metrics}
            for (model, variant), metrics in result.variant_metrics().items()]
    frame = pd.DataFrame(rows)
    keep = [c for c in frame.columns if HEADLINE.match(c)]
    return compare_table(frame, metrics=keep, reference=reference)


def parameter_count(size: str) -> float:
    """'135M' → 1.35e8, '1.7B' → 1.7e9; NaN when unreadable (sorted last)."""
    match = _SIZE.match(str(size))
    if not match:
        return float("nan")
    return float(match.group(1)) * _SCALE[match.group(2).lower()]
