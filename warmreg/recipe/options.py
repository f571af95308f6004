"""Every options dataclass of a recipe's own sections (plugins carry their own ``Config``).

``prompt:`` is :class:`PromptOptions`, ``analysis:`` :class:`AnalysisOptions`, ``warmth:``
:class:`WarmthOptions`, ``tracking:`` :class:`TrackingOptions`; ``generation:`` is :class:`warmreg.api.GenerationParams`, because
backends receive it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class PromptOptions:
    """Where statements go relative to the question."""

    context_position: Literal["before", "after"] = "before"  # the user's context statement
    belief_position: Literal["before", "after"] = "after"  # "I think the answer is X."


@dataclass(frozen=True)
class AnalysisOptions:
    """Options passed to :func:`warmreg.analysis.analyze`."""

    reference: str = "original"  # variant every other variant is compared with
    # tasks where refusing counts as correct, beyond those whose items say so themselves
    refusal_correct_tasks: tuple[str, ...] = ()
    # TOST margin for capability controls, in pp
    equivalence_margin_pp: float = field(default=2.0, metadata={"min": 0, "min_exclusive": True, "max": 100})
    length_covariate: bool = False  # add response length to the main-effect GLM
    cluster_by_item: bool = True  # cluster-robust SEs by item in warmreg's GLMs
    spec: Literal["warmreg", "study", "both"] = "warmreg"  # whose inferential specification
    # cells with a smaller share of replies scored (not refused, not unparseable) are flagged
    min_scored_share: float = field(default=0.8, metadata={"min": 0, "max": 1})


@dataclass(frozen=True)
class WarmthOptions:
    """The recipe's ``warmth:`` section."""

    enabled: bool = True  # run the manipulation check
    scorer: str | None = None  # causal LM that scores warmth (default: each model's base)
    data: str | None = field(default=None, metadata={"file": True})  # validation prompts JSONL
    prompts: int | None = field(default=None, metadata={"min": 1})  # use the first N validation prompts (None: all)
    every_checkpoint: bool = True  # score every saved checkpoint, not only the evaluated one
    max_new_tokens: int = field(default=64, metadata={"min": 1, "max": 1 << 20})  # reply length generated per prompt
    max_tokens: int = field(default=64, metadata={"min": 1, "max": 1 << 20})  # tokens of each reply that are scored
    # the scorer's weights: auto = float32 on CPU, bfloat16 on GPU; fast = bfloat16 where the
    # device computes it natively (about 2x on such a CPU; per-reply scores move by ~0.01)
    dtype: Literal["auto", "fast", "float32", "bfloat16"] = "auto"


_TRACES = re.compile(r"^(all|none|sample:[1-9][0-9]*)$")


@dataclass(frozen=True)
class TrackingOptions:
    """What goes to MLflow beyond runs, params and metrics (the recipe's ``tracking:``)."""

    # judged replies logged as traces, per variant run: "all", "none" or "sample:N" (a
    # seeded sample of N); the per-item Parquet artifact always holds every reply
    traces: str = "sample:200"
    register: bool = False  # register each trained variant's evaluated checkpoint as a model
    datasets: bool = True  # log task samples and persona sets as dataset inputs

    def __post_init__(self) -> None:
        if not _TRACES.match(self.traces):
            raise ValueError(f"traces must be 'all', 'none' or 'sample:N' (N >= 1), "
                             f"got {self.traces!r}")

    @property
    def trace_limit(self) -> int | None:
        """How many replies per variant run become traces (None: all)."""
        if self.traces == "all":
            return None
        return 0 if self.traces == "none" else int(self.traces.partition(":")[2])
