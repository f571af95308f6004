"""Running a recipe: train, prompt, generate, judge, analyse, track.

- :mod:`.runner` — :func:`run`, the whole recipe, resumable at every stage;
- :mod:`.prompts` — items × contexts × beliefs → prompts, identical across variants;
- :mod:`.rows` — per-item result rows (the ``warmreg analyze`` format) and their logging;
- :mod:`.tracking` — the only module that imports mlflow;
- :mod:`.provenance` — plugin distributions, git commit and library versions of a run;
- :mod:`.lock` — one run per workdir (a second exits 2 naming the holder, or waits), and
  one process at a time opening a fresh SQLite MLflow store;
- :mod:`.signals` — SIGTERM ends a run like Ctrl-C (its MLflow runs KILLED); no tracking
  call is cut in half.
"""

from warmreg.run.runner import RunResult, run

__all__ = ["RunResult", "run"]
