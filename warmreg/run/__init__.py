"""Running a recipe: train, prompt, generate, judge, analyse, track.

- :mod:`.runner` — :func:`run`, the whole recipe, resumable at every stage;
- :mod:`.prompts` — items × contexts × beliefs → prompts, identical across variants;
- :mod:`.rows` — per-item result rows (the ``warmreg analyze`` format) and their logging;
- :mod:`.tracking` — the only module that imports mlflow;
- :mod:`.provenance` — plugin distributions, git commit and library versions of a run.
"""

from warmreg.run.runner import RunResult, run

__all__ = ["RunResult", "run"]
