"""Figures (PNG) of the study's tables.

matplotlib is imported when a figure is drawn, and only its object-oriented API is
used (``matplotlib.figure.Figure`` renders through Agg), so drawing never touches
pyplot's global state or the user's backend. Each function takes a table and an output
path and returns the path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DPI = 120


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def plot_error_rates(
    rates: pd.DataFrame, path: str | Path, *, reference: str = "original",
    context: str = "none", belief: str = "none",
) -> Path:
    """Bars of error rate (Wilson 95% CI) per task, one panel per model, one bar per variant.

    Args:
        rates: the table of :func:`~warmreg.analysis.rates.error_rates`.
        path: the PNG to write.
        reference: drawn first in each group.
        context, belief: the cell shown (the study's headline: none, none).
    """
    rows = rates[(rates["context"] == context) & (rates["belief"] == belief)]
    models = sorted(rows["model"].unique())
    variants = sorted(rows["variant"].unique(), key=lambda v: (v != reference, v))
    fig = _figure(max(4.0, 1.2 * rows["task"].nunique() + 2), 2.6 * max(len(models), 1))
    axes = fig.subplots(max(len(models), 1), 1, squeeze=False)[:, 0]
    width = 0.8 / max(len(variants), 1)
    for ax, model in zip(axes, models):
        table = rows[rows["model"] == model]
        tasks = sorted(table["task"].unique())
        x = np.arange(len(tasks))
        for k, variant in enumerate(variants):
            cells = table[table["variant"] == variant].set_index("task").reindex(tasks)
            rate = 100 * cells["error_rate"].to_numpy(dtype=float)
            err = np.vstack([rate - 100 * cells["ci_low"], 100 * cells["ci_high"] - rate])
            err = np.clip(np.nan_to_num(err), 0, None)  # rounding can make a bound cross the rate
            ax.bar(x + (k - (len(variants) - 1) / 2) * width, rate, width, yerr=err,
                   capsize=2, label=variant)
        ax.set_xticks(x, tasks)
        ax.set_ylabel("error rate (%)")
        ax.set_title(f"{model} (context {context}, belief {belief})", fontsize=9)
    if models:
        axes[0].legend(fontsize=8)
    return _save(fig, path)


def plot_forest(ames: pd.DataFrame, path: str | Path) -> Path:
    """Forest plot of persona AMEs (pp, 95% CI) by analysis and level, per variant.

    Args:
        ames: the AME table of :func:`~warmreg.analysis.glm.persona_effects`.
        path: the PNG to write.
    """
    rows = ames[ames["analysis"].isin(["main", "group", "context", "belief"])]
    labels = list(dict.fromkeys(_label(a, lv) for a, lv in zip(rows["analysis"], rows["level"])))
    variants = sorted(rows["variant"].unique())
    fig = _figure(6.0, 0.3 * max(len(labels), 1) + 1.2)
    ax = fig.subplots()
    y_of = {label: len(labels) - i for i, label in enumerate(labels)}
    step = 0.6 / max(len(variants), 1)
    for k, variant in enumerate(variants):
        table = rows[rows["variant"] == variant]
        y = np.array([y_of[_label(a, lv)] for a, lv in zip(table["analysis"], table["level"])])
        y = y + (k - (len(variants) - 1) / 2) * step
        est = table["ame_pp"].to_numpy(dtype=float)
        err = np.vstack([est - table["ci_low_pp"], table["ci_high_pp"] - est])
        ax.errorbar(est, y, xerr=err, fmt="o", ms=3, capsize=2, label=variant)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(list(y_of.values()), list(y_of.keys()), fontsize=8)
    ax.set_xlabel("persona effect on error rate (pp, AME, 95% CI)")
    if variants:
        ax.legend(fontsize=8)
    return _save(fig, path)


def _label(analysis: str, level: str) -> str:
    return "main" if analysis == "main" else f"{analysis}: {level}"


def plot_warmth(warmth: pd.DataFrame, path: str | Path) -> Path:
    """Warmth score by checkpoint epoch, one line (with CI band) per model and variant.

    Args:
        warmth: a table with ``variant``, ``epoch``, ``score``, ``ci_low``, ``ci_high``
            (and optionally ``model``); rows without an epoch are drawn at epoch 0.
        path: the PNG to write.
    """
    rows = warmth.assign(epoch=warmth["epoch"].fillna(0.0))
    keys = ["model", "variant"] if "model" in rows else ["variant"]
    fig = _figure(6.0, 3.5)
    ax = fig.subplots()
    for key, table in rows.sort_values("epoch").groupby(keys, sort=True):
        label = " / ".join(str(k) for k in key if k)
        ax.plot(table["epoch"], table["score"], marker="o", ms=3, label=label)
        ax.fill_between(table["epoch"], table["ci_low"], table["ci_high"], alpha=0.2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("warmth score")
    ax.legend(fontsize=8)
    return _save(fig, path)


def effects_forest_png(table: pd.DataFrame, effects) -> bytes | None:
    """A forest plot: one row per (architecture, model, variant), one panel per effect.

    Args:
        table: the comparison table (``family``, ``size``, ``model``, ``variant`` and the
            effect columns).
        effects: ``(label, estimate, CI low, CI high)`` column names per panel; panels
            without any estimate are left out.

    Returns:
        PNG bytes, or None when no effect has an estimate.
    """
    present = [e for e in effects if e[1] in table and table[e[1]].notna().any()]
    rows = table[table[[e[1] for e in present]].notna().any(axis=1)] if present else table[:0]
    if rows.empty:
        return None
    labels = [f"{r.family or '?'} {r.size} · {r.model} · {r.variant}".strip()
              for r in rows.itertuples()]
    fig = _figure(3.2 * len(present) + 2.2, 0.38 * len(rows) + 1.2)
    axes = np.atleast_1d(fig.subplots(1, len(present), sharey=True))
    y = np.arange(len(rows))[::-1]
    for ax, (label, estimate, low, high) in zip(axes, present):
        value = rows[estimate].to_numpy(dtype=float)
        lo = rows[low].to_numpy(dtype=float) if low in rows else value
        hi = rows[high].to_numpy(dtype=float) if high in rows else value
        ax.errorbar(value, y, xerr=[value - lo, hi - value], fmt="o", color="#2b6cb0",
                    ecolor="#90cdf4", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("Δ error vs reference, pp", fontsize=8)
    axes[0].set_yticks(y, labels, fontsize=8)
    return _png(fig)


def error_rates_png(table: pd.DataFrame) -> bytes | None:
    """Bars of the pooled error rate per (model, variant), each labelled with its n."""
    if "pooled/error_rate" not in table or table["pooled/error_rate"].isna().all():
        return None
    rows = table[table["pooled/error_rate"].notna()]
    fig = _figure(max(4.0, 0.55 * len(rows) + 1.5), 3.2)
    ax = fig.subplots()
    x = np.arange(len(rows))
    bars = ax.bar(x, 100 * rows["pooled/error_rate"].to_numpy(dtype=float), color="#a0aec0")
    counts = rows["pooled/n_scored"] if "pooled/n_scored" in rows else [np.nan] * len(rows)
    for bar, n in zip(bars, counts):
        if n == n:
            ax.annotate(f"n={int(n)}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [f"{m}\n{v}" for m, v in zip(rows["model"], rows["variant"])], fontsize=7)
    ax.set_ylabel("error rate, %")
    return _png(fig)


def _png(fig) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
