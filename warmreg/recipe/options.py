"""Every options dataclass of a recipe's own sections (plugins carry their own ``Config``).

``prompt:`` is :class:`PromptOptions`, ``analysis:`` :class:`AnalysisOptions`, ``warmth:``
:class:`WarmthOptions`; ``generation:`` is :class:`warmreg.api.GenerationParams`, because
backends receive it.
"""

from __future__ import annotations

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
