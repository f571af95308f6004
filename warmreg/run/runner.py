"""Run a recipe end to end: train personas, prompt, generate, judge, analyse, track.

Every stage is cached (trained adapters by config hash, generations and verdicts by
content key), so a re-run or a killed-and-restarted run repeats no finished work. A run
holds its workdir's lock throughout (:mod:`warmreg.run.lock`), and however it stops
(an error, Ctrl-C, SIGTERM) every MLflow run it opened ends FAILED or KILLED.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

from warmreg import models, registry
from warmreg.api import CAPABILITY, RELIABILITY, ModelSpec, ModelVariant, TrainEnv
from warmreg.cache import Store, evaluate
from warmreg.config import as_dict
from warmreg.keys import content_hash
from warmreg.recipe import Plugin, Recipe
from warmreg.run import lock, provenance, publish, rows, signals
from warmreg.run.prompts import PromptBuilder
from warmreg.run.tracking import Tracker
from warmreg.warmth import check as warmth_check


@dataclass
class RunResult:
    """What a run produced and where it went."""

    results: "object"  # pandas DataFrame, one row per judged generation
    analysis: "object"  # warmreg.analysis.AnalysisResult
    parent_run_id: str
    out_dir: Path
    tracking_uri: str
    experiment_id: str = ""

    @property
    def ui_path(self) -> str:
        """Where the MLflow UI shows this run's experiment as runs (not the GenAI overview)."""
        return f"/#/experiments/{self.experiment_id}/runs?workflowType=machine_learning"


def run(recipe: Recipe, echo=None, wait: bool = False) -> RunResult:
    """Execute ``recipe`` and return its results, analysis and MLflow parent run id.

    Args:
        recipe: the validated recipe.
        echo: where progress lines go (stderr by default).
        wait: when another process runs in the workdir, wait for it (else
            :class:`~warmreg.run.lock.WorkdirBusy`, exit 2).
    """
    echo = echo or (lambda msg: print(msg, file=sys.stderr, flush=True))
    recipe.workdir.mkdir(parents=True, exist_ok=True)
    with lock.workdir(recipe.workdir, wait, echo), signals.terminate_as_interrupt():
        tracker = Tracker(recipe.experiment)
        try:
            result = _run(recipe, tracker, echo)
        except BaseException as exc:
            tracker.end_open(signals.end_status(exc))
            raise
    return result


def _run(recipe: Recipe, tracker: Tracker, echo) -> RunResult:
    parent = tracker.start_parent(recipe.name, recipe.fingerprint, {"warmreg.recipe": recipe.name})
    echo(f"warmreg: recipe {recipe.path} -> MLflow run {parent} ({tracker.tracking_uri})")
    _log_recipe(tracker, parent, recipe)
    frames, warmth = [], []
    with Store(recipe.workdir / "store.sqlite") as store:
        if store.upgrade_message():
            echo(f"warmreg: {store.upgrade_message()}")
        for model in recipe.models:
            model_frames, model_warmth = _run_model(recipe, tracker, parent, store, model, echo)
            frames += model_frames
            warmth += model_warmth
    result = _analyse(recipe, tracker, parent, frames, warmth, echo)
    tracker.finish(parent)
    return result


def _log_recipe(tracker: Tracker, parent: str, recipe: Recipe) -> None:
    tracker.log_dict(parent, recipe.resolved, "recipe.resolved.yaml")
    plugins = provenance.plugins_used(recipe)
    tracker.log_dict(parent, plugins, "plugins.json")
    tracker.set_tags(parent, {**provenance.run_tags(recipe.path),
                              **{f"warmreg.plugin.{k}": v for k, v in plugins.items()}})
    tracker.log_params(parent, provenance.flatten(recipe.resolved))


def _run_model(recipe: Recipe, tracker: Tracker, parent: str, store: Store, spec: ModelSpec, echo):
    """Results frames (one per variant) and warmth-check rows of one base model."""
    base_path = models.resolve(spec.path)
    spec = _describe(spec, base_path)
    backend = recipe.backend_for(spec.name).instantiate()
    items, categories, tasks = _items(recipe)
    prompts = PromptBuilder(recipe).build(items, categories)
    echo(f"warmreg: {spec.name}: {len(prompts)} prompts per variant "
         f"({sum(map(len, items.values()))} items)")
    # Every persona is trained (or made) before any is evaluated: training jobs run in
    # child processes (sft.py) while this one holds no model, and then the backend loads
    # one variant after another.
    frames, variants, variant_runs, training_runs, checkpoints = [], [], {}, {}, {}
    for name, trainer in zip(recipe.persona_names, recipe.personas_for(spec.name)):
        key = (spec.name, name)
        variant, training_runs[key], checkpoints[key] = _train(recipe, tracker, parent, spec,
                                                               base_path, name, trainer)
        variants.append(variant)
    for variant in variants:
        key = (spec.name, variant.variant)
        evaluated = checkpoints[key].get(variant.checkpoint_epoch)
        frame, variant_runs[key] = _evaluate(recipe, tracker, parent, store, backend, variant,
                                             prompts, items, categories, evaluated, tasks)
        frames.append(frame)
    if not recipe.warmth.enabled:
        return frames, []
    scorer = models.resolve(recipe.warmth.scorer) if recipe.warmth.scorer else base_path
    checked = warmth_check.check(recipe.warmth, store, backend, variants, scorer, recipe.seed)
    warmth_check.log(tracker, checked, variant_runs,
                     {k: v for k, v in training_runs.items() if v is not None}, checkpoints)
    return frames, checked


def _describe(spec: ModelSpec, base_path: str) -> ModelSpec:
    if spec.family and spec.size:
        return spec
    info = models.describe(base_path)
    return replace(spec, family=spec.family or info["family"], size=spec.size or info["size"])


def _items(recipe: Recipe):
    """Items, recipe category and task plugin instance of every task, by name."""
    items, categories, tasks = {}, {}, {}
    for section, category in ((recipe.tasks, RELIABILITY), (recipe.controls, CAPABILITY)):
        for task in section:
            tasks[task.name] = task.instantiate()
            items[task.name] = list(tasks[task.name].items(recipe.seed))
            categories[task.name] = category
    return items, categories, tasks


def _train(recipe, tracker, parent, spec, base_path, name: str, trainer: Plugin):
    """The variant for persona ``name`` (trained, cached by config, or made directly), the
    id of its training run (None when nothing is trained) and its checkpoints' logged
    models (``{epoch: model id}``)."""
    config = as_dict(trainer.config)
    workdir = job_dir(recipe, spec, base_path, name, trainer)
    run_id = None
    if trains(trainer):
        run_id = tracker.child(parent, f"train/{spec.name}/{name}", f"train {spec.name}/{name}",
                               {**_tags(spec, name, trainer.name), "warmreg.run_kind": "training"})
        tracker.log_params(run_id, {f"trainer.{k}": v for k, v in config.items()})
    env = TrainEnv(workdir=workdir, seed=recipe.seed, base_path=base_path,
                   log_metrics=(lambda m, s: tracker.log_metrics(run_id, m, s)) if run_id
                   else (lambda m, s: None),
                   log_params=(lambda p: tracker.log_params(run_id, p)) if run_id
                   else (lambda p: None))
    made = trainer.instantiate()
    variant = made.train(spec, name, env)
    if not run_id:
        return variant, None, {}
    models.trim_memory()  # the trainer's model, optimizer and activations are gone
    if recipe.tracking.datasets:
        publish.log_training_set(tracker, run_id, made, name)
    models_by_epoch = publish.log_checkpoints(tracker, run_id, variant,
                                              _tags(spec, name, trainer.name), recipe.tracking)
    tracker.finish(run_id)
    return variant, run_id, models_by_epoch


def job_dir(recipe, spec: ModelSpec, base_path: str, name: str, trainer: Plugin) -> Path:
    """The workdir of one training job: ``<workdir>/train/<model>/<persona>-<hash>``, the
    hash over the base, the trainer and its config, the seed and, for a trainer that says
    (``data_fingerprint()``), its training data -- a changed persona file trains anew
    (``accelerate launch`` jobs are given this directory; ``warmreg plan`` prints it)."""
    fingerprint = getattr(trainer.instantiate(), "data_fingerprint", None)
    data = [fingerprint()] if callable(fingerprint) else []
    job = content_hash(base_path, spec.path, trainer.name, as_dict(trainer.config), recipe.seed,
                       *data)[:12]
    return recipe.workdir / "train" / spec.name / f"{name}-{job}"


def trains(trainer: Plugin) -> bool:
    """Whether the trainer declares it fits weights (:class:`warmreg.api.Trainer`); one
    that does not declare is given a training run, so its metrics are never dropped."""
    return bool(getattr(registry.load("trainers", trainer.name), "trains", True))


def _tags(spec: ModelSpec, variant: str, trainer: str) -> dict:
    return {"warmreg.model": spec.name, "warmreg.model_path": spec.path,
            "warmreg.family": spec.family, "warmreg.size": spec.size,
            "warmreg.variant": variant, "warmreg.trainer": trainer}


def _evaluate(recipe, tracker, parent, store, backend, variant: ModelVariant, prompts, items,
              categories, model_id: str | None, tasks):
    """Generate, judge and log one variant; return its per-item frame and run id.

    ``model_id`` is the logged model of the evaluated checkpoint (trained variants): the run
    records it as its input and its metrics are linked to it. A task that plans dependent
    turns (:class:`warmreg.api.DependentTask`) is asked turn by turn and every turn is
    judged; its row carries the last turn's verdict and the first's."""
    spec, label = variant.model, f"{variant.model.name}/{variant.variant}"
    run_id = tracker.child(parent, f"eval/{label}", label, {
        **_tags(spec, variant.variant, variant.trainer), "warmreg.run_kind": "variant",
        "warmreg.checkpoint_epoch": "" if variant.checkpoint_epoch is None else variant.checkpoint_epoch})
    tracker.log_params(run_id, {"variant.fingerprint": variant.fingerprint,
                                "variant.system_prompt": variant.system_prompt or "",
                                **{f"trainer.{k}": v for k, v in variant.params.items()}})
    task_config = {t.name: t.config for t in recipe.tasks + recipe.controls}
    judges = {name: plugin.instantiate() for name, plugin in recipe.judges.items()}
    conversations = evaluate.converse(
        store, backend, variant, prompts,
        lambda p: evaluate.with_max_tokens(recipe.generation, task_config[p.item.task].max_new_tokens),
        lambda item: tasks[item.task], label)
    asked = [turn for turns in conversations for turn in turns]
    judged = iter(evaluate.judge(store, judges, lambda item: task_config[item.task].judge,
                                 [p for p, _ in asked], [g for _, g in asked], label))
    turns = [[(p, g, next(judged)) for p, g in conv] for conv in conversations]
    frame = rows.frame(variant, turns, categories)
    last = [conv[-1] for conv in turns]  # a trace shows the whole conversation of a row
    finals, gens, verdicts = ([t[k] for t in last] for k in range(3))
    rows.log_variant(tracker, run_id, variant, frame, model_id)
    if recipe.tracking.datasets:
        publish.log_task_samples(tracker, run_id, items, task_config, recipe.seed)
    publish.log_traces(tracker, run_id, variant, finals, gens, verdicts, recipe.tracking,
                       recipe.seed)
    tracker.finish(run_id)
    return frame, run_id


def _analyse(recipe: Recipe, tracker: Tracker, parent: str, frames, warmth, echo) -> RunResult:
    import pandas as pd

    results = pd.concat(frames, ignore_index=True)
    out_dir = recipe.workdir / "report"
    warmth_table = pd.DataFrame(warmth) if warmth else None
    analysis = rows.analyse_and_log(recipe, tracker, parent, results, out_dir, warmth_table)
    echo(f"warmreg: results in {out_dir} and MLflow run {parent}")
    return RunResult(results, analysis, parent, out_dir, tracker.tracking_uri,
                     tracker.experiment_id)
