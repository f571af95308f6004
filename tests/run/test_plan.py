"""``warmreg plan`` and the paper recipe: counts that follow from the recipe, no network."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from warmreg import cli, recipe
from warmreg.config import without_engine_checks
from warmreg.errors import ConfigError
from warmreg.run import plan

RECIPES = Path(__file__).parents[2] / "recipes"


def test_paper_plan_prints_the_studys_numbers(capsys):
    assert cli.main(["plan", str(RECIPES / "paper.yaml")]) == 0
    out = capsys.readouterr().out
    # 4 reliability tasks x 500 items x 9 contexts x 2 beliefs + 2,020 control items
    assert "prompts per variant: 38,020" in out
    assert "llama-3.1-70b: 4 variants" in out and "at TP 4" in out
    assert "weights 130" in out  # 70B parameters in bf16
    assert "gpt-4o: 4 variants" in out and "API cost: $" in out
    assert "judge calls: llm 720,000" in out  # 36,000 llm-judged prompts x 20 variants


def test_paper_validates_without_engines_and_names_vllm_without_them():
    with without_engine_checks():
        loaded = recipe.load(RECIPES / "paper.yaml")
    assert loaded.backend_for("llama-3.1-70b").config.tensor_parallel_size == 4
    assert loaded.backend_for("gpt-4o").name == "openai"
    assert [p.name for p in loaded.personas_for("gpt-4o")] == [
        "original", "openai-finetune", "openai-finetune", "system-prompt"]
    assert loaded.resolved["models"][4]["personas"]["cold"]["persona"] == "cold"
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        with pytest.raises(ConfigError, match="warmreg\\[vllm\\]"):
            recipe.load(RECIPES / "paper.yaml")


def test_counts_follow_the_recipe_and_prices_from_a_flag():
    with without_engine_checks():
        loaded = recipe.load(RECIPES / "smoke-closed.yaml")
    result = plan.plan(loaded, {"gpt-4o-mini-2024-07-18": (1.0, 2.0, 3.0)})
    assert result["prompts_per_variant"] == 4 * 2 * 2
    (model,) = result["models"]
    # 4 variants x 16 prompts + 4 warmth prompts x (2 + 2 checkpoints... one each otherwise)
    assert model.generations == 4 * 16 + 4 * (1 + 1 + 1 + 1)
    assert model.training_examples == 24 and model.cost > 0
    assert model.reply_tokens == 4 * 16 * 16


def test_a_model_may_only_change_the_recipes_personas(tmp_path):
    text = (RECIPES / "smoke-closed.yaml").read_text().replace(
        "models:\n  - {name: gpt-mini, path: gpt-4o-mini-2024-07-18, family: gpt, size: closed}",
        "models:\n  - {name: gpt-mini, path: gpt-4o-mini-2024-07-18, family: gpt, size: closed,\n"
        "     personas: {warmer: {trainer: original}}}")
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="models\\[0\\].personas.warmer.*not a persona"):
        recipe.load(path)


def test_printed_sft_jobs_launch_the_recipes_job(monkeypatch):
    """A printed ``accelerate launch`` line trains what `warmreg run` would: the recipe's
    settings and seed, in the directory the runner then finds done."""
    import json
    import shlex

    from warmreg import models
    from warmreg.config import build
    from warmreg.run.runner import job_dir
    from warmreg.trainers import sft

    monkeypatch.setattr(models, "resolve", lambda path: f"/models/{path}")
    loaded = recipe.load(RECIPES / "demo.yaml")
    written = yaml.safe_load((RECIPES / "demo.yaml").read_text())["personas"]
    lines = plan._jobs(loaded)
    assert len(lines) == 2
    (spec,) = loaded.models
    for line, (name, trainer) in zip(lines, [(n, t) for n, t in zip(
            loaded.persona_names, loaded.personas_for(spec.name)) if t.name.startswith("sft")]):
        args = shlex.split(line)
        value = dict(zip(args[::1], args[1:]))
        config = build(sft.PERSONAS[value["--persona"]].Config, json.loads(value["--config"]), "")
        # the recipe's own learning rate, not the trainer's default (1e-5)
        assert config == trainer.config and config.learning_rate == written[name]["learning_rate"]
        assert int(value["--seed"]) == loaded.seed
        assert value["--workdir"] == str(job_dir(loaded, spec, f"/models/{spec.path}", name,
                                                 trainer))
