"""What a run publishes to MLflow beyond params and metrics, as MLflow 3's own objects.

- task samples and persona training sets: dataset inputs (name, digest, source) of the
  runs that used them;
- every saved checkpoint: a logged model of its training run (the evaluated one linked to
  its variant run as an input, optionally registered);
- judged replies: traces of the variant run, the verdict an assessment (all, a seeded
  sample, or none: ``tracking.traces``); the per-item Parquet stays the complete record;
- per-cell tables on the parent run, and the summary as its note.

Every function takes a :class:`~warmreg.run.tracking.Tracker` and writes through it, so
this module never imports mlflow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from warmreg.api import Generation, Item, ModelVariant, Prompt, Verdict
from warmreg.keys import rank
from warmreg.recipe.options import TrackingOptions
from warmreg.trainers.checkpoints import checkpoint_step


def log_checkpoints(tracker, run_id: str, variant: ModelVariant, tags: Mapping[str, Any],
                    options: TrackingOptions) -> dict[float, str]:
    """Each checkpoint of a trained variant as a logged model; ``{epoch: model id}``."""
    ids = {}
    for epoch, directory in variant.checkpoints:
        name = model_name(variant.model.name, variant.variant, f"epoch-{epoch:g}")
        ids[epoch] = tracker.log_checkpoint(
            run_id, name, directory, step=checkpoint_step(Path(directory)) or 0,
            params=variant.params, kind=f"{variant.weights_kind or 'full'}-weights",
            tags={**tags, "warmreg.epoch": f"{epoch:g}",
                  "warmreg.evaluated": str(epoch == variant.checkpoint_epoch).lower()})
    evaluated = ids.get(variant.checkpoint_epoch) if variant.checkpoint_epoch is not None else None
    if evaluated and options.register:
        tracker.register(evaluated, model_name(variant.model.name, variant.variant))
    return ids


def log_training_set(tracker, run_id: str, trainer: Any, persona: str) -> None:
    """A trainer's examples (when it exposes them) as the training run's dataset."""
    examples = getattr(trainer, "examples", None)
    if not callable(examples):
        return
    import pandas as pd

    frame = pd.DataFrame([_flat(e) for e in examples()])
    tracker.log_dataset(run_id, f"persona-{persona}", frame,
                        {"warmreg.trainer": str(getattr(trainer, "name", "")),
                         "warmreg.persona": persona}, "training")


def log_task_samples(tracker, run_id: str, items: Mapping[str, Sequence[Item]],
                     configs: Mapping[str, Any], seed: int) -> None:
    """Each task's sampled items as a dataset input of a variant run."""
    import pandas as pd

    for task, task_items in items.items():
        frame = pd.DataFrame([_flat(item.to_dict()) for item in task_items])
        config = configs[task]
        tracker.log_dataset(run_id, task, frame, {
            "warmreg.task": task, "warmreg.source": str(getattr(config, "source", "")),
            "warmreg.limit": str(config.limit), "warmreg.seed": str(seed)}, "evaluation")


def trace_sample(prompts: Sequence[Prompt], limit: int | None, seed: int) -> list[int]:
    """Indices of the replies logged as traces: all, or a seeded sample of ``limit``."""
    order = sorted(range(len(prompts)), key=lambda i: rank(seed, _cell_id(prompts[i])))
    return sorted(order if limit is None else order[:limit])


def log_traces(tracker, run_id: str, variant: ModelVariant, prompts: Sequence[Prompt],
               gens: Sequence[Generation], verdicts: Sequence[Verdict],
               options: TrackingOptions, seed: int) -> int:
    """The chosen judged replies of a variant as traces; how many were logged."""
    chosen = trace_sample(prompts, options.trace_limit, seed)
    replies = [{
        "messages": variant.conversation(prompts[i].messages), "reply": gens[i].text,
        "n_prompt_tokens": gens[i].n_prompt_tokens, "n_new_tokens": gens[i].n_new_tokens,
        "finish_reason": gens[i].finish_reason, "verdict": verdicts[i].label,
        "explanation": verdicts[i].explanation, "judge": verdicts[i].judge,
        "tags": {"warmreg.model": variant.model.name, "warmreg.variant": variant.variant,
                 "warmreg.task": prompts[i].item.task, "warmreg.item_id": prompts[i].item.id,
                 "warmreg.context": prompts[i].context, "warmreg.belief": prompts[i].belief},
    } for i in chosen]
    return tracker.log_traces(run_id, replies)


def log_report(tracker, parent: str, analysis) -> None:
    """Per-cell tables (error rates, deltas with CIs) and the summary as the run's note."""
    for name, table in (("error_rates", analysis.rates), ("deltas", analysis.deltas),
                        ("ames", analysis.ames), ("capability", analysis.capability),
                        ("flips", analysis.flips)):
        if table is not None and not table.empty:
            tracker.log_table(parent, _json_safe(table), f"tables/{name}.json")
    tracker.set_note(parent, analysis.summary_markdown())


def model_name(*parts: str) -> str:
    """A logged or registered model's name: MLflow refuses ``/ : . % " '`` in one."""
    return re.sub(r"[/:.%\"']", "_", "-".join(parts))


def _cell_id(prompt: Prompt) -> str:
    return f"{prompt.item.task}/{prompt.item.id}/{prompt.context}/{prompt.belief}"


def _flat(row: Mapping[str, Any]) -> dict:
    """A row whose nested values (lists, mappings) are JSON text, as a table holds them."""
    return {k: json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, tuple, dict))
            else v for k, v in row.items()}


def _json_safe(table):
    """A table MLflow can write as JSON: categoricals as text."""
    out = table.copy()
    for column in out.columns:
        if str(out[column].dtype) == "category":
            out[column] = out[column].astype(str)
    return out
