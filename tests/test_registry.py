"""Plugin discovery, loading, and failure reporting through entry points."""

import json
import subprocess
import sys

import pytest

from warmreg import registry
from warmreg.cli import main
from warmreg.errors import PluginError

BUILTINS = {
    "trainers": {"original", "system-prompt", "sft-warm", "sft-cold"},
    "tasks": {"triviaqa", "truthfulqa", "mask-disinfo", "medqa", "mmlu", "gsm8k", "advbench"},
    "contexts": {"none", "emotion", "relation", "stakes", "belief"},
    "judges": {"answer-match", "refusal", "choice", "numeric", "llm"},
    "backends": {"hf", "openai"},
}


@pytest.mark.parametrize("kind", registry.KINDS)
def test_builtins_are_registered_through_public_groups(kind):
    found = registry.discover(kind)
    assert BUILTINS[kind] <= set(found)
    for name in BUILTINS[kind]:
        assert found[name].dist == "warmreg"


@pytest.mark.parametrize("kind", registry.KINDS)
def test_every_builtin_loads_and_has_a_config(kind):
    for name in BUILTINS[kind]:
        cls = registry.load(kind, name)
        assert hasattr(cls, "Config"), f"{kind}/{name} has no Config"


def test_unknown_name_suggests_the_closest():
    with pytest.raises(PluginError, match='did you mean "triviaqa"'):
        registry.load("tasks", "trivia-qa")


def test_discovery_imports_no_plugin_module():
    code = ("import sys; from warmreg import registry; "
            "[registry.discover(k) for k in registry.KINDS]; "
            "print([m for m in sys.modules if m.startswith('warmreg.') and "
            "m.split('.')[1] in ('tasks','judges','backends','trainers','contexts')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_third_party_plugin_is_discovered_and_loads(fake_plugin):
    plugin = registry.info("tasks", "fake-echo")
    assert (plugin.dist, plugin.version) == ("warmreg-fake-plugin", "0.3.1")
    task = registry.load("tasks", "fake-echo")(registry.load("tasks", "fake-echo").Config(limit=3))
    assert [i.id for i in task.items(0)] == ["n0", "n1", "n2"]


def test_broken_plugin_names_its_distribution_and_spares_the_others(fake_plugin):
    with pytest.raises(PluginError) as err:
        registry.load("judges", "fake-broken")
    message = str(err.value)
    assert "warmreg-fake-plugin 0.3.1" in message
    assert "warmreg_dependency_that_is_not_installed" in message
    assert registry.load("judges", "refusal") is not None
    assert registry.load("tasks", "fake-echo") is not None


def test_plugins_command_marks_broken_plugins(fake_plugin, capsys):
    assert main(["plugins", "--json"]) == 0
    rows = {(r["kind"], r["name"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows[("judges", "fake-broken")]["error"]
    assert rows[("tasks", "fake-echo")]["error"] is None
    assert rows[("tasks", "fake-echo")]["dist"] == "warmreg-fake-plugin"
    assert main(["plugins", "--strict"]) == 1
    assert "BROKEN" in capsys.readouterr().out


def _distribution(site, name: str, version: str, entry_points: str) -> None:
    """A distribution as its metadata shows it (all that discovery reads)."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_a_name_two_distributions_register_is_an_error_naming_both(tmp_path, monkeypatch, capsys):
    import importlib

    _distribution(tmp_path, "warmreg-clash", "2.0", "[warmreg.tasks]\ntriviaqa = clash:Trivia\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    with pytest.raises(PluginError) as caught:
        registry.info("tasks", "triviaqa")
    assert "warmreg-clash 2.0" in str(caught.value) and "warmreg " in str(caught.value)
    assert set(registry.conflicts("tasks")) == {"triviaqa"}
    assert registry.info("tasks", "mmlu").dist == "warmreg"  # the others are unharmed
    assert main(["plugins", "--no-import", "--strict"]) == 1
    assert "BROKEN: task plugin 'triviaqa' is registered by more than one distribution" \
        in capsys.readouterr().out


def test_a_typo_inside_a_nested_plugin_section_fails_validate(tmp_path, capsys):
    path = tmp_path / "recipe.yaml"
    path.write_text(
        "name: nested\nmodels: [{name: tiny, path: warmreg/tiny-random-llama}]\n"
        "tasks: {triviaqa: {limit: 2, judge: llm}}\n"
        "judges:\n  llm:\n    model: judge\n    backend: openai\n"
        "    backend_config: {base_url: 'http://127.0.0.1:9/v1', timeout_ss: 5}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "judges.llm.backend_config.timeout_ss" in err and "Traceback" not in err
