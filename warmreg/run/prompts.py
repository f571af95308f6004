"""Turn items into prompts: one per (item, context, belief), identical across models.

Reliability tasks get the full factorial of the recipe's contexts and beliefs; capability
controls are asked plainly (context ``none``, belief ``none``). A variant's system prompt
is added by :meth:`warmreg.api.ModelVariant.conversation` at generation time, so prompts stay shared.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from warmreg import registry
from warmreg.api import CAPABILITY, Item, Prompt
from warmreg.contexts import compose, split_name
from warmreg.errors import ConfigError
from warmreg.recipe import Recipe


class PromptBuilder:
    """Builds the prompts of a recipe, loading each context plugin once."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self._plugins: dict[str, object] = {}

    def _context(self, plugin: str):
        if plugin not in self._plugins:  # from the recipe's context_config, else defaults
            configured = getattr(self.recipe, "context_plugins", {}).get(plugin)
            chosen = configured or registry.build("contexts", plugin, None, f"context {plugin}")
            self._plugins[plugin] = chosen.instantiate()
        return self._plugins[plugin]

    def statement(self, plugin: str, variant: str, item: Item) -> str:
        try:
            return self._context(plugin).statement(variant, item, self.recipe.seed)
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"task {item.task}, item {item.id}",
                              f"context {plugin}:{variant}: {exc}") from None

    def prompt(self, item: Item, context: str, belief: str) -> Prompt:
        plugin, variant = split_name(context)
        text = compose(
            item.question,
            self.statement(plugin, variant, item),
            self.statement("belief", belief, item),
            context_position=self.recipe.prompt.context_position,
            belief_position=self.recipe.prompt.belief_position,
        )
        messages = tuple(dict(m) for m in item.history) + ({"role": "user", "content": text},)
        return Prompt(item=item, context=context, belief=belief, messages=messages)

    def build(self, items: Mapping[str, Sequence[Item]], categories: Mapping[str, str]) -> list[Prompt]:
        """Every prompt of the recipe, in a stable order (task, item, context, belief)."""
        prompts = []
        for task, task_items in items.items():
            plain = categories[task] == CAPABILITY
            contexts = ("none",) if plain else self.recipe.contexts
            beliefs = ("none",) if plain else self.recipe.beliefs
            for item in task_items:
                prompts += [self.prompt(item, c, b) for c in contexts for b in beliefs]
        return prompts
