"""Recipes: YAML files that name models, personas, tasks, contexts, judges and analysis.

A recipe is validated completely before any work starts: unknown keys, unknown plugin
names, wrong types and missing files are one :class:`ConfigError` naming the file and
the key path. Plugin sections become the plugin's ``Config(**section)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from warmreg import registry
from warmreg.recipe import checks as recipe_checks
from warmreg.recipe import yamlload
from warmreg.api import GenerationParams, ModelSpec, content_hash
from warmreg.config import as_dict, build, check_type
from warmreg.contexts import split_name
from warmreg.errors import ConfigError, PluginError, did_you_mean
from warmreg.recipe.options import AnalysisOptions, PromptOptions, TrackingOptions, WarmthOptions
from warmreg.registry import Plugin


@dataclass(frozen=True)
class Recipe:
    """A validated recipe. ``resolved`` is the full recipe with every default filled in."""

    path: Path
    name: str
    experiment: str
    seed: int
    workdir: Path
    models: tuple[ModelSpec, ...]
    personas: tuple[Plugin, ...]  # "original" first; Plugin.name is the trainer
    persona_names: tuple[str, ...]
    backend: Plugin
    generation: GenerationParams
    tasks: tuple[Plugin, ...]
    controls: tuple[Plugin, ...]
    contexts: tuple[str, ...]
    beliefs: tuple[str, ...]
    judges: Mapping[str, Plugin]
    prompt: PromptOptions
    analysis: AnalysisOptions
    warmth: WarmthOptions = WarmthOptions()
    tracking: TrackingOptions = TrackingOptions()
    context_plugins: Mapping[str, Plugin] = field(default_factory=dict)  # by plugin name
    prices: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # $/1M tokens: in, out[, training]
    model_backends: Mapping[str, Plugin] = field(default_factory=dict)  # by model name, overrides
    model_personas: Mapping[str, tuple[Plugin, ...]] = field(default_factory=dict)  # by model name
    resolved: Mapping[str, Any] = field(default_factory=dict)

    def backend_for(self, model: str) -> Plugin:
        """The backend that serves ``model``: its own ``backend:`` or the recipe's."""
        return self.model_backends.get(model, self.backend)

    def personas_for(self, model: str) -> tuple[Plugin, ...]:
        """The trainers of ``model``'s personas (in ``persona_names`` order)."""
        return self.model_personas.get(model, self.personas)

    @property
    def fingerprint(self) -> str:
        return content_hash(self.resolved)


TOP_KEYS = {
    "name": "recipe name, used in run names",
    "experiment": "MLflow experiment name",
    "seed": "seed for sampling, context assignment and training",
    "workdir": "where the store, adapters and reports go (default .warmreg/<name>)",
    "models": "list of {name, path, family, size, backend (override), personas (override)}",
    "personas": "mapping persona name -> {trainer: NAME, ...trainer config}",
    "backend": "{name: NAME, ...backend config}",
    "generation": "max_new_tokens, temperature, top_p",
    "tasks": "mapping task name -> task config (reliability tasks)",
    "controls": "mapping task name -> task config (capability controls)",
    "contexts": "list of context names, e.g. none, emotion:sad",
    "beliefs": "list of belief names: none, incorrect",
    "context_config": "mapping context plugin name -> its config, e.g. belief: {single_template: true}",
    "judges": "mapping judge name -> judge config",
    "prompt": "context_position, belief_position",
    "analysis": "analysis options",
    "warmth": "warmth manipulation check: enabled, scorer, prompts, every_checkpoint, ...",
    "prices": "model name -> [input, output, training] US$ per million tokens (warmreg plan)",
    "tracking": "what MLflow receives beyond metrics: traces (all | none | sample:N), register, datasets",
}
REQUIRED = ("name", "models", "tasks")


def load(path: str | Path, overrides: tuple[str, ...] = ()) -> Recipe:
    """Read, override and validate a recipe file.

    Args:
        path: the YAML file.
        overrides: ``key.path=value`` strings; values are parsed as YAML.
    """
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise ConfigError(where, "recipe file not found")
    raw = yamlload.read(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(where, "a recipe is a mapping of keys")
    for item in overrides:
        apply_override(raw, item, where)
    with registry.cached():
        return validate(raw, path)


def apply_override(raw: dict, assignment: str, where: str) -> None:
    """Set ``a.b.c=value`` in a nested mapping, creating intermediate mappings."""
    key, sep, value = assignment.partition("=")
    if not sep or not key:
        raise ConfigError(f"{where}: --set {assignment}", "expected key.path=value")
    *parents, last = key.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{where}: --set {key}", f"{part!r} is not a mapping")
    node[last] = yamlload.loads(value, f"{where}: --set {key}")


def validate(raw: dict, path: Path) -> Recipe:
    """Check every key of a parsed recipe; return the :class:`Recipe`."""
    where = str(path)
    for key in raw:
        if key not in TOP_KEYS:
            raise ConfigError(f"{where}: {key}", f"unknown key{did_you_mean(str(key), TOP_KEYS)}")
    for key in REQUIRED:
        if key not in raw:
            raise ConfigError(f"{where}: {key}", f"required key is missing ({TOP_KEYS[key]})")
    recipe_checks.before(raw, where)
    name = check_type(raw["name"], str, f"{where}: name")
    seed = check_type(raw.get("seed", 0), int, f"{where}: seed")
    base_dir = path.parent
    tasks = _plugins("tasks", raw.get("tasks"), f"{where}: tasks", base_dir)
    controls = _plugins("tasks", raw.get("controls") or {}, f"{where}: controls", base_dir)
    contexts = _contexts(raw.get("contexts", ["none"]), f"{where}: contexts")
    beliefs = _beliefs(raw.get("beliefs", ["none"]), f"{where}: beliefs")
    persona_names, personas = _personas(raw.get("personas") or {}, f"{where}: personas", base_dir)
    backend_raw = raw.get("backend") or {"name": "hf"}
    model_specs, model_backends, model_personas = _models(
        raw["models"], f"{where}: models", base_dir, backend_raw, persona_names, personas)
    recipe = Recipe(
        path=path, name=name, seed=seed,
        experiment=check_type(raw.get("experiment", f"warmreg-{name}"), str, f"{where}: experiment"),
        workdir=_workdir(raw, name, where),
        models=model_specs, model_backends=model_backends, model_personas=model_personas,
        personas=personas, persona_names=persona_names,
        backend=_named_plugin("backends", backend_raw, f"{where}: backend", base_dir),
        generation=build(GenerationParams, {"seed": seed, **(raw.get("generation") or {})},
                         f"{where}: generation"),
        tasks=tasks, controls=controls,
        contexts=contexts, beliefs=beliefs,
        context_plugins=_context_plugins(contexts, raw.get("context_config"), where, base_dir),
        judges=_judges(raw.get("judges") or {}, tasks + controls, where, base_dir),
        prompt=build(PromptOptions, raw.get("prompt"), f"{where}: prompt"),
        analysis=build(AnalysisOptions, raw.get("analysis"), f"{where}: analysis"),
        warmth=build(WarmthOptions, raw.get("warmth"), f"{where}: warmth", base_dir),
        tracking=build(TrackingOptions, raw.get("tracking"), f"{where}: tracking"),
        prices=_prices(raw.get("prices") or {}, f"{where}: prices"),
    )
    recipe_checks.after(recipe)
    return _with_resolved(recipe)


def _workdir(raw: dict, name: str, where: str) -> Path:
    value = check_type(raw.get("workdir", f".warmreg/{name}"), str, f"{where}: workdir")
    return Path(value).expanduser()


def _models(section: Any, where: str, base_dir: Path, backend_raw: Any, persona_names,
            personas) -> tuple[tuple[ModelSpec, ...], dict[str, Plugin], dict[str, tuple]]:
    """Model specs, and each model's own backend and persona trainers where it names them.

    A model's ``backend:`` without ``name`` amends the recipe's backend section (a tensor
    parallel size for a larger model); with a ``name`` it replaces it (a closed model on
    ``openai``). Its ``personas:`` replace the trainer of personas the recipe names, so
    every model has the same variants.
    """
    models = check_type(section, list, where)
    if not models:
        raise ConfigError(where, "name at least one model")
    specs, backends, trainers = [], {}, {}
    for i, entry in enumerate(models):
        entry = dict(check_type(entry, dict, f"{where}[{i}]"))
        own_backend, own_personas = entry.pop("backend", None), entry.pop("personas", None)
        spec = build(ModelSpec, entry, f"{where}[{i}]")
        specs.append(spec)
        if own_backend is not None:
            own_backend = dict(check_type(own_backend, dict, f"{where}[{i}].backend"))
            merged = own_backend if "name" in own_backend else {**dict(backend_raw), **own_backend}
            backends[spec.name] = _named_plugin("backends", merged, f"{where}[{i}].backend", base_dir)
        if own_personas is not None:
            trainers[spec.name] = _model_personas(own_personas, f"{where}[{i}].personas", base_dir,
                                                  persona_names, personas)
    return tuple(specs), backends, trainers  # duplicate names: recipe_checks.before


def _model_personas(section: Any, where: str, base_dir: Path, names, personas) -> tuple:
    own_names, own = _personas(section, where, base_dir)
    by_name = dict(zip(own_names, own))
    for name in own_names:
        if name not in names:
            raise ConfigError(f"{where}.{name}", f"not a persona of the recipe"
                              f"{did_you_mean(name, names)}; a model may only change the "
                              f"trainer of {', '.join(names[1:])}")
    return tuple(by_name.get(n, p) for n, p in zip(names, personas))


def _plugin(kind: str, name: str, section: Any, where: str, base_dir: Path) -> Plugin:
    return registry.build(kind, name, section, where, base_dir)


def _plugins(kind: str, section: Any, where: str, base_dir: Path) -> tuple[Plugin, ...]:
    section = check_type(section, dict, where)
    return tuple(_plugin(kind, str(name), sub, f"{where}.{name}", base_dir)
                 for name, sub in section.items())


def _named_plugin(kind: str, section: Any, where: str, base_dir: Path) -> Plugin:
    section = dict(check_type(section, dict, where))
    if "name" not in section:
        raise ConfigError(f"{where}.name", f"required key is missing (which {kind[:-1]} plugin)")
    name = check_type(section.pop("name"), str, f"{where}.name")
    return _plugin(kind, name, section, where, base_dir)


def _personas(section: Any, where: str, base_dir: Path) -> tuple[tuple[str, ...], tuple[Plugin, ...]]:
    section = check_type(section, dict, where)
    names, plugins = ["original"], [_plugin("trainers", "original", {}, f"{where}.original", base_dir)]
    for name, sub in section.items():
        if name == "original":
            raise ConfigError(f"{where}.original", "'original' is the base model and always included")
        sub = dict(check_type(sub, dict, f"{where}.{name}"))
        if "trainer" not in sub:
            raise ConfigError(f"{where}.{name}.trainer", "required key is missing")
        trainer = check_type(sub.pop("trainer"), str, f"{where}.{name}.trainer")
        names.append(str(name))
        plugins.append(_plugin("trainers", trainer, sub, f"{where}.{name}", base_dir))
    return tuple(names), tuple(plugins)


def _contexts(section: Any, where: str) -> tuple[str, ...]:
    names = check_type(section, list, where)
    for i, name in enumerate(names):
        check_type(name, str, f"{where}[{i}]")
        plugin, variant = split_name(name)
        if plugin == "belief":
            raise ConfigError(f"{where}[{i}]", "beliefs go under 'beliefs:', not 'contexts:'")
        _check_variant(plugin, variant, f"{where}[{i}]", name)
    return tuple(names) or ("none",)


def _beliefs(section: Any, where: str) -> tuple[str, ...]:
    names = check_type(section, list, where)
    for i, name in enumerate(names):
        check_type(name, str, f"{where}[{i}]")
        _check_variant("belief", name, f"{where}[{i}]", name)
    return tuple(names) or ("none",)


def _check_variant(plugin: str, variant: str, where: str, full: str) -> None:
    try:
        cls = registry.load("contexts", plugin)
    except PluginError as exc:
        raise ConfigError(where, str(exc)) from None
    variants = tuple(getattr(cls, "variants", ()))
    if variants and variant not in variants:
        options = [f"{plugin}:{v}" for v in variants] if plugin != "belief" else list(variants)
        raise ConfigError(where, f"unknown context {full!r}{did_you_mean(full, options)}; "
                          f"choose from {', '.join(options)}")
    if not variants and variant:
        raise ConfigError(where, f"context {plugin!r} has no variants; write {plugin!r}")


def _context_plugins(contexts: tuple[str, ...], section: Any, where: str,
                     base_dir: Path) -> dict[str, Plugin]:
    """Every context plugin the recipe uses (and ``belief``), built from ``context_config``."""
    section = check_type(section or {}, dict, f"{where}: context_config")
    used = sorted({split_name(c)[0] for c in contexts} | {"belief"})
    for name in section:
        if name not in used:
            raise ConfigError(f"{where}: context_config.{name}",
                              f"no context of this recipe uses plugin {name!r}"
                              f"{did_you_mean(str(name), used)}; used: {', '.join(used)}")
    return {name: _plugin("contexts", name, section.get(name), f"{where}: context_config.{name}",
                          base_dir) for name in used}


def _judges(section: Any, tasks: tuple[Plugin, ...], where: str, base_dir: Path) -> dict[str, Plugin]:
    section = check_type(section, dict, f"{where}: judges")
    judges = {str(n): _plugin("judges", str(n), sub, f"{where}: judges.{n}", base_dir)
              for n, sub in section.items()}
    for task in tasks:
        name = getattr(task.config, "judge", None)
        if name and name not in judges:
            judges[name] = _plugin("judges", name, {}, f"{where}: tasks.{task.name}.judge", base_dir)
    return judges


def _with_resolved(recipe: Recipe) -> Recipe:
    resolved = {
        "name": recipe.name, "experiment": recipe.experiment, "seed": recipe.seed,
        "workdir": str(recipe.workdir),
        "models": [_resolved_model(recipe, m) for m in recipe.models],
        "personas": {n: {"trainer": p.name, **as_dict(p.config)}
                     for n, p in zip(recipe.persona_names, recipe.personas)},
        "backend": {"name": recipe.backend.name, **as_dict(recipe.backend.config)},
        "generation": as_dict(recipe.generation),
        "tasks": {t.name: as_dict(t.config) for t in recipe.tasks},
        "controls": {t.name: as_dict(t.config) for t in recipe.controls},
        "contexts": list(recipe.contexts), "beliefs": list(recipe.beliefs),
        "context_config": {n: as_dict(p.config) for n, p in recipe.context_plugins.items()},
        "judges": {n: as_dict(j.config) for n, j in recipe.judges.items()},
        "prompt": as_dict(recipe.prompt), "analysis": as_dict(recipe.analysis),
        "warmth": as_dict(recipe.warmth), "tracking": as_dict(recipe.tracking),
        "prices": {k: list(v) for k, v in recipe.prices.items()},
    }
    return Recipe(**{**recipe.__dict__, "resolved": resolved})


def _resolved_model(recipe: Recipe, spec: ModelSpec) -> dict:
    out = as_dict(spec)
    if spec.name in recipe.model_backends:
        plugin = recipe.model_backends[spec.name]
        out["backend"] = {"name": plugin.name, **as_dict(plugin.config)}
    if spec.name in recipe.model_personas:
        out["personas"] = {n: {"trainer": p.name, **as_dict(p.config)} for n, p in
                           zip(recipe.persona_names, recipe.model_personas[spec.name])
                           if n != "original"}
    return out


def _prices(section: Any, where: str) -> dict[str, tuple[float, ...]]:
    section = check_type(section, dict, where)
    out = {}
    for name, value in section.items():
        value = check_type(value, list, f"{where}.{name}")
        if not 2 <= len(value) <= 3 or not all(isinstance(v, (int, float)) and v >= 0 for v in value):
            raise ConfigError(f"{where}.{name}", "expected [input, output] or [input, output, "
                              "training]: US$ per million tokens, not negative")
        out[str(name)] = tuple(float(v) for v in value)
    return out
