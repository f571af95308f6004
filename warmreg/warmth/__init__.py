"""The warmth manipulation check: did the persona take?

- :mod:`.score` — the SocioT-style warmth score of texts under a causal LM;
- :mod:`.check` — the check inside a run: every variant and checkpoint answers held-out
  prompts (through the cache), their replies are scored and logged by epoch.

The check's table in the report (warmth beside the effects, at the evaluated epoch) is
analysis, and lives with the other tables in :mod:`warmreg.analysis.warmth`.
"""

from warmreg.warmth.score import (COLD_FRAMINGS, WARM_FRAMINGS, check_variant, warmth_scores,
                                  warmth_summary)

__all__ = ["COLD_FRAMINGS", "WARM_FRAMINGS", "check_variant", "warmth_scores", "warmth_summary"]
