"""What the end-of-run table says in words: CIs that include zero, thinly scored cells,
and the headline finding.

A delta or an AME whose confidence interval includes zero is reported as "CI includes 0"
beside its numbers, so a reader does not take a point estimate for a finding. A cell
(model, variant, task, context, belief) is *scored* in the share of its replies that
count in the error rate: not refused (where refusals are excluded) and not unparseable.
A cell under ``min_scored_share`` rests on a selected minority of its items — a variant
that refuses most questions is measured only on those it chose to answer — and is flagged.
The headline is the persona main effect (AME on the error rate, context none, belief none,
:mod:`warmreg.analysis.glm`) of each variant against the reference, in one sentence.
"""

from __future__ import annotations

import math

import pandas as pd

from warmreg.analysis._format import markdown_table, pp

MIN_SCORED_SHARE = 0.8  # default of AnalysisOptions.min_scored_share


def ci_words(low: float, high: float) -> str:
    """'CI includes 0', 'CI above 0' or 'CI below 0' ('' when the CI is missing)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    if low <= 0 <= high:
        return "CI includes 0"
    return "CI above 0" if low > 0 else "CI below 0"


def effect_text(value: float, low: float, high: float) -> str:
    """'+8.1 [4.2, 12.0]', with ' (CI includes 0)' appended when it does."""
    text = pp(value, low, high)
    words = ci_words(low, high)
    return f"{text} ({words})" if words == "CI includes 0" else text


def scored_shares(rates: pd.DataFrame) -> pd.DataFrame:
    """Per cell: ``n_rows``, ``n`` scored and ``scored_share`` (n / n_rows)."""
    keys = [c for c in ("model", "variant", "task", "context", "belief") if c in rates]
    share = (rates["n"] / rates["n_rows"].where(rates["n_rows"] > 0)).fillna(0.0)
    return rates[keys + ["n_rows", "n"]].assign(scored_share=share)


def low_scored_cells(rates: pd.DataFrame, min_share: float = MIN_SCORED_SHARE) -> pd.DataFrame:
    """The cells whose scored share is under ``min_share``, lowest first."""
    shares = scored_shares(rates)
    low = shares[shares["scored_share"] < min_share]
    return low.sort_values("scored_share").reset_index(drop=True)


def scored_markdown(rates: pd.DataFrame, min_share: float = MIN_SCORED_SHARE) -> str:
    """The flag: every cell under ``min_share`` scored, or one line saying there is none."""
    if rates.empty:
        return ""
    shares = scored_shares(rates)
    low = low_scored_cells(rates, min_share)
    lowest = shares["scored_share"].min()
    if low.empty:
        return (f"Every cell has at least {min_share:.0%} of its replies scored "
                f"(lowest {lowest:.0%}).")
    table = low.assign(scored=[f"{int(n)} of {int(r)} ({s:.0%})" for n, r, s in
                               low[["n", "n_rows", "scored_share"]].to_numpy()])
    keys = [c for c in ("model", "variant", "task", "context", "belief") if c in low]
    return (f"**WARNING: {len(low)} of {len(shares)} cells have under {min_share:.0%} of their "
            "replies scored** (the rest refused or unparseable); their error rates rest on "
            "the items the variant chose to answer and are not comparable:\n\n"
            + markdown_table(table[keys + ["scored"]]))


def refusal_line(rates: pd.DataFrame, category: str) -> str:
    """Share of replies refused per (model, variant) over the ``category`` tasks, all cells.

    Counts refusals excluded from scoring (tasks where refusing is correct count as
    answers, as in the error rates)."""
    rows = rates[rates["category"] == category]
    if rows.empty:
        return ""
    totals = rows.groupby(["model", "variant"], sort=True)[["n_excluded_refused", "n_rows"]].sum()
    shown = [f"{variant} {refused / n:.1%} ({int(refused)}/{int(n)})"
             for (_, variant), (refused, n) in totals.iterrows()]
    return f"Refused ({category} tasks, every context and belief): " + ", ".join(shown) + "."


def headline(ames: pd.DataFrame, reference: str, alpha: float = 0.05) -> str:
    """One sentence: each variant's persona main effect on the error rate, with its CI."""
    main = ames[ames["analysis"] == "main"] if not ames.empty else ames
    if main.empty:
        return "Headline: no persona main effect could be estimated (see skipped.csv)."
    level = f"{100 * (1 - alpha):g}%"
    parts = []
    for row in main.sort_values("variant").itertuples():
        words = ci_words(row.ci_low_pp, row.ci_high_pp)
        meaning = {"CI includes 0": "no detectable change",
                   "CI above 0": "more errors", "CI below 0": "fewer errors"}.get(words, "")
        parts.append(f"{row.variant} {row.ame_pp:+.1f} pp ({level} CI {row.ci_low_pp:+.1f} to "
                     f"{row.ci_high_pp:+.1f}; {words}: {meaning})")
    return (f"Headline: error rate on the reliability tasks vs `{reference}` (persona main "
            f"effect, no context, no belief): " + "; ".join(parts) + ".")
