"""Cross-section recipe checks, nested judge backends and validation that scales."""

import yaml
import pytest

from warmreg import recipe
from warmreg.errors import ConfigError

MINIMAL = {"name": "t", "models": [{"name": "m", "path": "warmreg/tiny-random-llama"}],
           "tasks": {"triviaqa": {"limit": 2}}}


def load(tmp_path, data, sets=()):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data))
    return recipe.load(path, sets)


@pytest.mark.parametrize("extra, where, message", [
    ({"tasks": {}}, "tasks", "at least one task"),
    ({"generation": 5}, "generation", "expected a mapping"),
    ({"contexts": ["none", "emotion:sad", "none"]}, "contexts[2]", "duplicate 'none'"),
    ({"beliefs": ["incorrect", "incorrect"]}, "beliefs[1]", "duplicate"),
    ({"analysis": {"reference": "warm"}}, "analysis.reference", "not a variant"),
    ({"controls": {"triviaqa": {}}}, "controls.triviaqa", "also under tasks"),
    ({"tasks": {"triviaqa": {"source": "no/such.jsonl"}}}, "tasks.triviaqa.source", "file not found"),
    ({"judges": {"llm": {"model": "j", "backend": "opeanai"}}}, "judges.llm.backend", 'did you mean "openai"'),
    ({"judges": {"llm": {"model": "j", "backend_config": {"base_url": "nope"}}}},
     "judges.llm.backend_config.base_url", "http(s) URL"),
    ({"judges": {"llm": {"model": "j", "backend": "hf", "backend_config": {"device": "tpu"}}}},
     "judges.llm.backend_config.device", "unknown device"),
])
def test_recipe_level_errors_name_the_key(tmp_path, extra, where, message):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, {**MINIMAL, **extra})
    assert err.value.where == f"{tmp_path / 'r.yaml'}: {where}", err.value
    assert message in err.value.message


def test_duplicate_model_names_found_among_many(tmp_path):
    models = [{"name": f"m{i}", "path": "p"} for i in range(2000)] + [{"name": "m7", "path": "p"}]
    with pytest.raises(ConfigError) as err:
        load(tmp_path, {**MINIMAL, "models": models})
    assert err.value.where.endswith("models[2000].name") and "also at [7]" in err.value.message


def test_existing_source_file_and_known_reference_pass(tmp_path):
    data = tmp_path / "t.jsonl"
    data.write_text("{}\n")
    loaded = load(tmp_path, {**MINIMAL, "tasks": {"triviaqa": {"source": str(data)}},
                             "personas": {"p": {"trainer": "system-prompt"}},
                             "analysis": {"reference": "p"}})
    assert loaded.analysis.reference == "p"


def test_bad_set_value_names_the_key(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, MINIMAL, ("tasks.triviaqa.limit=[",))
    assert err.value.where.endswith("--set tasks.triviaqa.limit")
