"""Recipes: the YAML a study is written in, validated completely before any work.

- :mod:`.load` — read, override (``--set``) and validate a recipe into a :class:`Recipe`;
- :mod:`.options` — the options dataclasses of the recipe's own sections.
"""

from warmreg.recipe.load import REQUIRED, TOP_KEYS, Recipe, apply_override, load, validate
from warmreg.recipe.options import AnalysisOptions, PromptOptions, TrackingOptions, WarmthOptions
from warmreg.registry import Plugin

__all__ = ["AnalysisOptions", "Plugin", "PromptOptions", "REQUIRED", "Recipe", "TOP_KEYS",
           "TrackingOptions", "WarmthOptions", "apply_override", "load", "validate"]
