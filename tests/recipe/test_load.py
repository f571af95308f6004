"""Recipe validation: every mistake is one clear error naming the file and key."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from warmreg import recipe
from warmreg.cli import main
from warmreg.errors import ConfigError

RECIPES = sorted((Path(__file__).parents[2] / "recipes").glob("*.yaml"))
MINIMAL = {"name": "t", "models": [{"name": "m", "path": "warmreg/tiny-random-llama"}],
           "tasks": {"triviaqa": {"limit": 2}}}


def write(tmp_path, data, name="r.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def expect_error(tmp_path, data, where, message):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        recipe.load(path)
    assert err.value.where.startswith(f"{path}: {where}") or err.value.where == f"{path}: {where}", err.value
    assert message in err.value.message, err.value.message


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_shipped_recipes_validate(path):
    loaded = recipe.load(path)
    assert loaded.persona_names[0] == "original"
    assert loaded.resolved["models"]


def test_minimal_recipe_fills_defaults(tmp_path):
    loaded = recipe.load(write(tmp_path, MINIMAL))
    assert loaded.contexts == ("none",) and loaded.beliefs == ("none",)
    assert loaded.backend.name == "hf"
    assert loaded.persona_names == ("original",)
    assert "answer-match" in loaded.judges
    assert loaded.resolved["tasks"]["triviaqa"]["limit"] == 2


def test_unknown_top_key_suggests(tmp_path):
    expect_error(tmp_path, {**MINIMAL, "task": {}}, "task", 'did you mean "tasks"')


def test_missing_required_key(tmp_path):
    data = dict(MINIMAL)
    del data["models"]
    expect_error(tmp_path, data, "models", "required key is missing")


def test_unknown_task_plugin(tmp_path):
    expect_error(tmp_path, {**MINIMAL, "tasks": {"trivia": {}}}, "tasks.trivia",
                 'did you mean "triviaqa"')


def test_unknown_task_option(tmp_path):
    expect_error(tmp_path, {**MINIMAL, "tasks": {"triviaqa": {"limt": 3}}}, "tasks.triviaqa.limt",
                 'did you mean "limit"')


def test_wrong_type(tmp_path):
    expect_error(tmp_path, {**MINIMAL, "tasks": {"triviaqa": {"limit": "ten"}}},
                 "tasks.triviaqa.limit", "expected")


def test_wrong_type_in_trainer(tmp_path):
    data = {**MINIMAL, "personas": {"warm": {"trainer": "sft-warm", "epochs": "many"}}}
    expect_error(tmp_path, data, "personas.warm.epochs", "expected")


def test_unknown_trainer(tmp_path):
    data = {**MINIMAL, "personas": {"warm": {"trainer": "sft-wram"}}}
    expect_error(tmp_path, data, "personas.warm", 'did you mean "sft-warm"')


def test_missing_file(tmp_path):
    data = {**MINIMAL, "personas": {"warm": {"trainer": "sft-warm", "data": "nope.jsonl"}}}
    expect_error(tmp_path, data, "personas.warm.data", "file not found: nope.jsonl")


def test_unknown_context_variant(tmp_path):
    expect_error(tmp_path, {**MINIMAL, "contexts": ["emotion:sadd"]}, "contexts[0]",
                 'did you mean "emotion:sad"')


def test_unknown_belief(tmp_path):
    expect_error(tmp_path, {**MINIMAL, "beliefs": ["wrong"]}, "beliefs[0]", "unknown context")


def test_backend_needs_a_name(tmp_path):
    expect_error(tmp_path, {**MINIMAL, "backend": {"batch_size": 4}}, "backend.name", "required")


def test_duplicate_model_names(tmp_path):
    models = MINIMAL["models"] * 2
    expect_error(tmp_path, {**MINIMAL, "models": models}, "models[1].name", "duplicate")


def test_override_sets_nested_values(tmp_path):
    loaded = recipe.load(write(tmp_path, MINIMAL), ("tasks.triviaqa.limit=7", "seed=3"))
    assert loaded.resolved["tasks"]["triviaqa"]["limit"] == 7
    assert loaded.seed == 3 and loaded.generation.seed == 3


def test_bad_override_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="key.path=value"):
        recipe.load(write(tmp_path, MINIMAL), ("seed",))


def test_fingerprint_changes_with_content(tmp_path):
    a = recipe.load(write(tmp_path, MINIMAL))
    b = recipe.load(write(tmp_path, MINIMAL), ("tasks.triviaqa.limit=3",))
    assert a.fingerprint != b.fingerprint


def test_cli_validate_exits_2_without_traceback(tmp_path):
    path = write(tmp_path, {**MINIMAL, "tasks": {"triviaqa": {"limit": -1.5}}})
    out = subprocess.run([sys.executable, "-m", "warmreg", "validate", str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert f"{path}: tasks.triviaqa.limit" in out.stderr


def test_cli_validate_ok(capsys):
    assert main(["validate", *map(str, RECIPES)]) == 0
    assert capsys.readouterr().out.count(": ok") == len(RECIPES)


@pytest.fixture(autouse=True)
def _no_engine_checks():
    """These machines have no vLLM: shipped recipes are checked as `validate --no-engines`
    does (the engine check itself: tests/backends/test_vllm.py, tests/run/test_plan.py)."""
    from warmreg.config import without_engine_checks

    with without_engine_checks():
        yield
