"""``warmreg plan RECIPE``: the work a recipe implies, before anything runs (no network).

Counts are exact where the recipe fixes them: items per task are its ``limit`` (or the
task's local/bundled rows when it has none), prompts are built by the runner's own
:class:`~warmreg.run.prompts.PromptBuilder` on stand-in items, so cells match a run.
Token counts are estimates: prompt lengths measured on the tasks' bundled samples (4
characters a token), replies at their ``max_new_tokens`` (an upper bound).

GPU memory per model (for local engines): weights = parameters x bytes of the dtype;
KV cache = 2 (K and V) x layers x KV heads x head dim x bytes x batch x sequence length,
where the batch is the backend's (``max_num_seqs`` for vllm, ``batch_size`` for hf) and
the sequence the longest prompt plus ``max_new_tokens``. Architecture facts come from a
config in the local Hugging Face cache, else from the model's ``size`` in the recipe and
the shape of the study's architectures (:data:`SHAPES`).

API cost: tokens x prices per million tokens from the recipe's ``prices:`` or
``--price NAME=INPUT,OUTPUT[,TRAINING]`` (NAME is a served model, a judge model or a
fine-tuning base model).
"""

from __future__ import annotations

import dataclasses
import json
import math
import shlex
from dataclasses import dataclass, replace
from typing import Mapping

from warmreg.api import CAPABILITY, RELIABILITY, Item
from warmreg.recipe import Recipe
from warmreg.run.prompts import PromptBuilder

CHARS_PER_TOKEN = 4
BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "auto": 2, "fast": 2}
# (layers, KV heads, head dim) of the study's architectures by parameter count, used when
# no config is in the local cache (Llama-3.1-8B/70B, Mistral-Small-2409, Qwen2.5-32B)
SHAPES = {8e9: (32, 8, 128), 22e9: (56, 8, 128), 32e9: (64, 8, 128), 70e9: (80, 8, 128)}
JUDGE_PROMPT_TOKENS = 350  # the llm judge's rubric and answer key around the reply


@dataclass
class ModelPlan:
    name: str
    variants: int
    prompts: int
    generations: int
    prompt_tokens: int
    reply_tokens: int
    training_examples: int = 0
    training_tokens: int = 0
    gpu: str = ""
    cost: float | None = None


def plan(recipe: Recipe, prices: Mapping[str, tuple[float, ...]] | None = None) -> dict:
    """Everything ``warmreg plan`` prints, as numbers."""
    prices = {**{k: tuple(v) for k, v in (recipe.prices or {}).items()}, **(prices or {})}
    items, categories, prompt_chars = _items(recipe)
    prompts = PromptBuilder(recipe).build(items, categories)
    config = {t.name: t.config for t in recipe.tasks + recipe.controls}
    new_tokens = [config[p.item.task].max_new_tokens or recipe.generation.max_new_tokens
                  for p in prompts]
    prompt_tokens = [_prompt_tokens(p, prompt_chars) for p in prompts]
    judge_calls: dict[str, int] = {}
    for p in prompts:
        judge_calls[config[p.item.task].judge] = judge_calls.get(config[p.item.task].judge, 0) + 1
    models = [_model_plan(recipe, spec, prompts, prompt_tokens, new_tokens, prices)
              for spec in recipe.models]
    judge_cost = _judge_cost(recipe, judge_calls, prompt_tokens, new_tokens, models, prices)
    jobs = _jobs(recipe)
    return {"items": {k: len(v) for k, v in items.items()}, "prompts_per_variant": len(prompts),
            "jobs": jobs,
            "models": models, "judge_calls_per_variant": judge_calls, "judge_cost": judge_cost,
            "warmth_prompts": recipe.warmth.prompts if recipe.warmth.enabled else 0}


def _jobs(recipe: Recipe) -> list[str]:
    """``accelerate launch`` lines for the recipe's SFT jobs, in the runner's job dirs."""
    from warmreg import models
    from warmreg.run.runner import job_dir

    lines = []
    for spec in recipe.models:
        for name, trainer in zip(recipe.persona_names, recipe.personas_for(spec.name)):
            if not hasattr(trainer.config, "lora_r"):
                continue
            persona = "cold" if trainer.name.endswith("cold") else "warm"
            workdir = job_dir(recipe, spec, models.resolve(spec.path), name, trainer)
            lines.append(f"accelerate launch --config_file recipes/accelerate/ddp.yaml -m "
                         f"warmreg.trainers.sft --base {shlex.quote(spec.path)} "
                         f"--persona {persona} --workdir {shlex.quote(str(workdir))} "
                         f"--config {shlex.quote(_set_fields(trainer.config))} "
                         f"--seed {recipe.seed}")
    return lines


def _set_fields(config) -> str:
    """The config's fields that differ from their defaults, as the JSON ``--config`` takes:
    the job the line launches is the recipe's (same settings, same job directory)."""
    default = type(config)()
    changed = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
               if getattr(config, f.name) != getattr(default, f.name)}
    return json.dumps(changed, separators=(",", ":"))


def _items(recipe: Recipe):
    items, categories, chars = {}, {}, {}
    for section, category in ((recipe.tasks, RELIABILITY), (recipe.controls, CAPABILITY)):
        for task in section:
            sample = _sample(task)
            n = task.config.limit if task.config.limit is not None else len(sample)
            chars[task.name] = (sum(len(i.question) for i in sample) / len(sample)) if sample else 400
            items[task.name] = [Item(task.name, f"plan-{k}", "?", ("?",), incorrect="?")
                                for k in range(n)]
            categories[task.name] = category
    return items, categories, chars


def _sample(task) -> list[Item]:
    """The task's bundled rows (local, no network), for prompt lengths and unlimited tasks."""
    config = task.config
    if getattr(config, "source", "bundled") not in ("bundled",) and hasattr(config, "source"):
        config = replace(config, source="bundled", limit=None)
    try:
        return list(type(task.instantiate())(config).items(0))
    except Exception:  # noqa: BLE001 - a task without local rows: lengths are estimated
        return []


def _prompt_tokens(prompt, chars: Mapping[str, float]) -> int:
    extra = sum(len(m["content"]) for m in prompt.messages) - len(prompt.item.question)
    return math.ceil((chars[prompt.item.task] + extra) / CHARS_PER_TOKEN) + 8


def _model_plan(recipe, spec, prompts, prompt_tokens, new_tokens, prices) -> ModelPlan:
    trainers = recipe.personas_for(spec.name)
    backend = recipe.backend_for(spec.name)
    warmth = (recipe.warmth.prompts or 50) if recipe.warmth.enabled else 0
    checkpoints = sum(len(getattr(t.config, "checkpoint_epochs", ())) or 1 for t in trainers)
    gens = len(prompts) * len(trainers) + warmth * checkpoints
    plan_ = ModelPlan(spec.name, len(trainers), len(prompts), gens,
                      sum(prompt_tokens) * len(trainers), sum(new_tokens) * len(trainers))
    training_cost = 0.0
    for trainer in trainers:
        n, tokens = _training(trainer)
        epochs = float(getattr(trainer.config, "stop_epoch", getattr(trainer.config, "epochs", 0)) or 0)
        plan_.training_examples += n
        plan_.training_tokens += int(tokens * epochs)
        price = prices.get(getattr(trainer.config, "model", None) or spec.path)
        if trainer.name == "openai-finetune" and price and len(price) > 2:
            training_cost += tokens * epochs * price[2] / 1e6
    if backend.name in ("hf", "vllm"):
        plan_.gpu = _gpu(spec, backend, max(prompt_tokens, default=0) + max(new_tokens, default=0))
    price = prices.get(spec.path) or prices.get(spec.name)
    if backend.name == "openai" and price:
        plan_.cost = (plan_.prompt_tokens * price[0] + plan_.reply_tokens * price[1]) / 1e6 + training_cost
    return plan_


def _training(trainer) -> tuple[int, int]:
    """Examples and tokens of one epoch of a trainer that exposes ``examples()``."""
    try:
        made = trainer.instantiate()
        examples = made.examples() if callable(getattr(made, "examples", None)) else []
    except Exception:  # noqa: BLE001 - data not available here: no training counts
        return 0, 0
    chars = 0
    for e in examples:
        messages = e.get("messages") or [*e.get("prompt", []), *e.get("completion", [])]
        chars += sum(len(m["content"]) for m in messages)
    return len(examples), math.ceil(chars / CHARS_PER_TOKEN)


def _gpu(spec, backend, sequence: int) -> str:
    n_params = _params(spec.size)
    if not n_params:
        return "unknown (give the model's size)"
    config = backend.config
    dtype = getattr(config, "dtype", "auto")
    batch = getattr(config, "max_num_seqs", None) or getattr(config, "batch_size", 1)
    batch = batch if isinstance(batch, int) else 64
    sequence = getattr(config, "max_model_len", None) or sequence
    layers, kv_heads, head_dim = _shape(spec.path, n_params)
    weights = n_params * BYTES[dtype]
    kv = 2 * layers * kv_heads * head_dim * BYTES[dtype] * batch * sequence
    tp = getattr(config, "tensor_parallel_size", 1)
    return (f"{(weights + kv) / 2**30:.0f} GiB = weights {weights / 2**30:.0f} + KV cache "
            f"{kv / 2**30:.1f} (batch {batch} x {sequence} tokens); "
            f"{(weights + kv) / 2**30 / tp:.0f} GiB per GPU at TP {tp}")


def _params(size: str) -> float:
    units = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    try:
        return float(size[:-1]) * units[size[-1].upper()]
    except (KeyError, ValueError, IndexError):
        return 0.0


def _shape(path: str, n_params: float) -> tuple[int, int, int]:
    try:
        from transformers import AutoConfig

        c = AutoConfig.from_pretrained(path, local_files_only=True)
        heads = c.num_attention_heads
        return (c.num_hidden_layers, getattr(c, "num_key_value_heads", None) or heads,
                getattr(c, "head_dim", None) or c.hidden_size // heads)
    except Exception:  # noqa: BLE001 - not in the local cache: the nearest known shape
        return SHAPES[min(SHAPES, key=lambda k: abs(math.log(k / n_params)))]


def _judge_cost(recipe, calls, prompt_tokens, new_tokens, models, prices) -> float | None:
    judge = recipe.judges.get("llm")
    price = prices.get(getattr(judge.config, "model", "")) if judge else None
    if not price or "llm" not in calls:
        return None
    variants = sum(m.variants for m in models)
    reply = sum(new_tokens) / len(new_tokens)
    question = sum(prompt_tokens) / len(prompt_tokens)
    tokens_in = calls["llm"] * variants * (JUDGE_PROMPT_TOKENS + question + reply)
    tokens_out = calls["llm"] * variants * 64
    return (tokens_in * price[0] + tokens_out * price[1]) / 1e6


def render(result: dict) -> str:
    """The plan as text."""
    lines = ["items: " + ", ".join(f"{k} {v}" for k, v in result["items"].items()),
             f"prompts per variant: {result['prompts_per_variant']:,}"]
    total_gens = sum(m.generations for m in result["models"])
    calls = result["judge_calls_per_variant"]
    for m in result["models"]:
        lines.append(f"{m.name}: {m.variants} variants, {m.generations:,} generations "
                     f"(~{m.prompt_tokens / 1e6:.1f}M prompt + <={m.reply_tokens / 1e6:.1f}M reply "
                     f"tokens); training {m.training_examples:,} examples, "
                     f"~{m.training_tokens:,} tokens (all epochs)")
        if m.gpu:
            lines.append(f"  GPU memory: {m.gpu}")
        if m.cost is not None:
            lines.append(f"  API cost: ${m.cost:,.0f} (generation upper bound + fine-tuning)")
    variants = sum(m.variants for m in result["models"])
    lines.append(f"total generations: {total_gens:,}")
    lines.append("judge calls: " + ", ".join(f"{k} {v * variants:,}" for k, v in calls.items()))
    if result["judge_cost"] is not None:
        lines.append(f"  llm judge API cost: ~${result['judge_cost']:,.0f}")
    if result["jobs"]:
        lines.append("SFT jobs (run before `warmreg run`, which then finds them done):")
        lines += [f"  {job}" for job in result["jobs"]]
    return "\n".join(lines)
