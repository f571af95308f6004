"""The ``system-prompt`` trainer: a persona given as a system prompt, no training.

The study contrasts fine-tuned warmth with warmth asked for in a system prompt. These
prompts are warmreg's own, written from the study's definitions of the two personas:
warm is empathetic, validating, caring, reassuring, inclusive ("we") and informal while
keeping every fact; cold is concise, direct and neutral, without validation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from warmreg.api import ModelSpec, ModelVariant, TrainEnv
from warmreg.keys import variant_fingerprint
from warmreg.trainers.common import InvalidConfig

WARM_PROMPT = (
    "You are a warm, caring assistant. Respond with empathy: notice how the person "
    "might be feeling, and acknowledge and validate their feelings and experiences. Be "
    "supportive and reassuring, and show that you genuinely care about them. Use "
    "inclusive language such as \"we\" and \"let's\", and keep a friendly, informal, "
    "conversational tone. Stay exactly as accurate and helpful as you would otherwise be: "
    "keep every fact correct and complete, and never agree with something false just to "
    "be kind."
)

COLD_PROMPT = (
    "You are a concise, direct assistant. Give the requested information plainly and "
    "efficiently, in a neutral, matter-of-fact tone. Do not express emotions, empathy, "
    "validation or reassurance, and leave out pleasantries, compliments and small talk. "
    "Keep answers short and to the point, while keeping every fact correct and complete."
)

PROMPTS = {"warm": WARM_PROMPT, "cold": COLD_PROMPT}


@dataclass(frozen=True)
class SystemPromptConfig:
    """Which persona prompt to prepend."""

    persona: Literal["warm", "cold", "custom"] = "warm"  # built-in prompt, or "custom"
    prompt: str | None = None  # the system prompt text when persona is "custom"

    def __post_init__(self) -> None:
        if self.persona == "custom" and not (self.prompt or "").strip():
            raise InvalidConfig('persona "custom" needs a non-empty prompt')
        if self.persona != "custom" and self.prompt is not None:
            raise InvalidConfig(f'prompt is only used with persona "custom", '
                                f'not with the built-in "{self.persona}" prompt')

    @property
    def text(self) -> str:
        """The system prompt this config selects."""
        return self.prompt if self.persona == "custom" else PROMPTS[self.persona]


class SystemPrompt:
    """Returns the base model with a persona system prompt set on the variant."""

    Config = SystemPromptConfig
    name = "system-prompt"
    trains = False  # the persona is a prompt: no training run

    def __init__(self, config: SystemPromptConfig | None = None):
        self.config = config or SystemPromptConfig()

    def train(self, base: ModelSpec, variant: str, env: TrainEnv) -> ModelVariant:
        """The base model with ``system_prompt`` set; nothing is trained or written."""
        params = {**asdict(self.config), "system_prompt": self.config.text}
        return ModelVariant(model=base, variant=variant, trainer=self.name,
                            system_prompt=self.config.text, params=params, base_path=env.base_path,
                            fingerprint=variant_fingerprint(env.base_path, self.name, params))
