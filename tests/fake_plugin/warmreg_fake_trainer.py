"""A third-party trainer whose name says nothing: it declares that it trains."""

from dataclasses import asdict, dataclass

from warmreg.api import ModelSpec, ModelVariant, TrainEnv
from warmreg.keys import variant_fingerprint


@dataclass(frozen=True)
class StepsConfig:
    steps: int = 3  # optimizer steps it reports
    prompt: str = "Be kind."  # the persona it applies, as a system prompt


class StepsTrainer:
    """Reports a falling loss for ``steps`` steps and returns a system-prompt variant."""

    Config = StepsConfig
    trains = True

    def __init__(self, config: StepsConfig):
        self.config = config

    def train(self, base: ModelSpec, variant: str, env: TrainEnv) -> ModelVariant:
        for step in range(1, self.config.steps + 1):
            env.log_metrics({"loss": 1.0 / step, "epoch": step / self.config.steps}, step)
        params = asdict(self.config)
        return ModelVariant(model=base, variant=variant, trainer="fake-steps",
                            system_prompt=self.config.prompt, params=params,
                            base_path=env.base_path,
                            fingerprint=variant_fingerprint(env.base_path, "fake-steps", params))
