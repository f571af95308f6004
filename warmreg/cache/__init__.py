"""The cache every stage goes through: nothing finished is ever computed twice.

- :mod:`.store` — :class:`Store`, the SQLite (WAL) store of generations, verdicts and
  warmth scores by content key;
- :mod:`.evaluate` — :func:`generate` and :func:`judge` through the store: only missing
  work reaches a backend or judge, and each result is committed as it lands; endpoint
  errors are ENDPOINT_ERROR rows, never stored, so the next run retries them;
  :func:`converse` asks dependent conversations turn by turn, each turn a batched
  :func:`generate` with its own key (the conversation it answers).

Both evaluation (:mod:`warmreg.run`) and the warmth check (:mod:`warmreg.warmth`) use it,
which is why it is a package of its own rather than part of the runner.
"""

from warmreg.cache.evaluate import converse, generate, generation_key, judge, verdict_key, with_max_tokens
from warmreg.cache.store import Store

__all__ = ["Store", "converse", "generate", "generation_key", "judge", "verdict_key", "with_max_tokens"]
