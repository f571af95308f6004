"""The ``original`` trainer: the base model as it is, the study's control variant."""

from __future__ import annotations

from dataclasses import dataclass

from warmreg.api import ModelSpec, ModelVariant, TrainEnv
from warmreg.keys import variant_fingerprint


@dataclass(frozen=True)
class OriginalConfig:
    """``original`` takes no settings."""


class Original:
    """Returns the base model unchanged (no weights, no system prompt)."""

    Config = OriginalConfig
    name = "original"
    trains = False  # no weights are fitted: no training run

    def __init__(self, config: OriginalConfig | None = None):
        self.config = config or OriginalConfig()

    def train(self, base: ModelSpec, variant: str, env: TrainEnv) -> ModelVariant:
        """The base model as a variant; nothing is written to ``env.workdir``."""
        return ModelVariant(model=base, variant=variant, trainer=self.name, params={},
                            base_path=env.base_path,
                            fingerprint=variant_fingerprint(env.base_path, self.name, {}))
