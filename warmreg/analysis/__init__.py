"""The study's statistics, from a per-item results table (one row per judged generation).

Entry points:

- :func:`load_results` / :func:`validate_results` — read and check a results table
  (columns in ``docs/results-format.md``); :class:`ResultsError` names column and row.
- :func:`analyze` → :class:`AnalysisResult` — every table, flat ``metrics``,
  ``write(out_dir)`` and ``to_markdown()``.
- :func:`compare_table` → :class:`Comparison` — the cross-architecture table.
- :func:`items_needed` — items per cell for a paired design (power).

The steps, one module each:

========================  ===========================================================
``results``               columns, loading, validation, errors
``policy``                refusal policy → ``incorrect``, exclusion counts
``rates``                 error rates (Wilson), paired deltas (Newcombe)
``paired``                paired 2x2 counts, exact McNemar, odds ratio, Cohen's g, BH
``glm``                   binomial GLMs, persona AMEs (pp) by context / belief / model
``margins``               GLM design matrices, fitting, AMEs and their gradients
``capability``            capability deltas and TOST equivalence
``power``                 McNemar sample size and power (Connor 1987)
``study``                 the study's four GLMs, exactly as released (``--spec study``)
``mcnemar``               the study's paired McNemar tables (significance_tests.py)
``study_report``          :class:`StudyResult`, ``study/...`` metrics, study.md
``import_study``          the study's public per-item layout → a results table
``warmth``                warmth manipulation check beside the effects
``figures``               PNG figures (matplotlib, imported lazily)
``metrics``               flat metric names (MLflow-safe)
``report`` / ``summary``  :func:`analyze`, :class:`AnalysisResult`, summary.md
``compare``               cross-architecture table (Markdown, CSV, HTML)
``simulate``              simulated results with known effects (tests, benchmarks)
========================  ===========================================================
"""

from warmreg.analysis.compare import Comparison, compare_table
from warmreg.analysis.metrics import metric_key
from warmreg.analysis.power import items_needed, mcnemar_power
from warmreg.analysis.report import AnalysisResult, analyze
from warmreg.analysis.results import AnalysisError, ResultsError, load_results, validate_results

__all__ = [
    "AnalysisError",
    "AnalysisResult",
    "Comparison",
    "ResultsError",
    "analyze",
    "compare_table",
    "items_needed",
    "load_results",
    "mcnemar_power",
    "metric_key",
    "validate_results",
]
