"""A plugin distribution installed beside a built warmreg wheel in a fresh virtualenv.

What a user gets from ``pip install warmreg warmreg-pushback``: warmreg comes from a wheel
built from this checkout (not the editable install, not the repository on sys.path), the
plugin from its own wheel, and a broken third-party plugin sits beside them. Installing
torch, transformers and mlflow from scratch would take minutes, so the fresh venv sees
the test environment's third-party packages through a ``.pth`` file pointing at a
directory of links to them -- every entry of its site-packages except warmreg's own and
any editable install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PUSHBACK_VERSION = next(line.split("=", 1)[1].strip() for line in (
    REPO / "plugins" / "warmreg-pushback" / "setup.cfg").read_text().splitlines()
    if line.startswith("version"))  # the version its wheel is built with
PLUGIN = REPO / "plugins" / "warmreg-pushback"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "dist", "*.egg-info")
BROKEN_SETUP = """\
[metadata]
name = warmreg-broken-plugin
version = 0.0.1

[options]
py_modules = warmreg_broken

[options.entry_points]
warmreg.tasks =
    broken-task = warmreg_broken:Task
"""
RECIPE = """\
name: plugin-venv
workdir: {workdir}
models:
  - name: tiny
    path: warmreg/tiny-random-llama
generation:
  max_new_tokens: 4
tasks:
  pushback: {{limit: 3}}
contexts: [none]
beliefs: [none]
"""


def _sh(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kw)


def _sources(root: Path) -> list[Path]:
    """Copies of warmreg, the pushback plugin and a broken plugin to build wheels from
    (building in a copy keeps build/ and egg-info out of the shared checkout)."""
    warmreg = root / "warmreg"
    warmreg.mkdir(parents=True)
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, warmreg / name)
    shutil.copytree(REPO / "warmreg", warmreg / "warmreg", ignore=IGNORE)
    plugin = root / PLUGIN.name
    shutil.copytree(PLUGIN, plugin, ignore=IGNORE)
    broken = root / "warmreg-broken-plugin"
    broken.mkdir()
    (broken / "setup.cfg").write_text(BROKEN_SETUP)
    (broken / "pyproject.toml").write_text((plugin / "pyproject.toml").read_text())
    (broken / "warmreg_broken.py").write_text(
        'raise ImportError("warmreg-broken-plugin is broken on purpose")\n')
    return [warmreg, plugin, broken]


def _link_dependencies(deps: Path) -> None:
    """Links to every installed package of this environment except warmreg's own."""
    deps.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("warmreg", "_warmreg", "__editable__")) or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """``(venv, env, workdir, plugin source)`` of a fresh venv holding warmreg and two plugins."""
    root = tmp_path_factory.mktemp("plugin-venv")
    wheels = root / "wheels"
    built = _sh([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                 "-w", wheels, *_sources(root / "src")])
    assert built.returncode == 0, built.stderr
    venv_dir = root / "venv"
    assert _sh([sys.executable, "-m", "venv", "--without-pip", venv_dir]).returncode == 0
    python = venv_dir / "bin" / "python"
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = _sh([python, "-c", code]).stdout.strip()
    _link_dependencies(root / "deps")
    (Path(site) / "_test_dependencies.pth").write_text(f"{root / 'deps'}\n")
    installed = _sh([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                     *sorted(wheels.glob("*.whl"))])
    assert installed.returncode == 0, installed.stderr
    work = root / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(PATH=f"{venv_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               MLFLOW_TRACKING_URI=f"sqlite:///{root / 'mlflow.db'}",
               WARMREG_HOME=str(root / "home"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false")
    (work / "recipe.yaml").write_text(RECIPE.format(workdir=work / ".warmreg" / "plugin-venv"))
    return venv_dir, env, work, root / "src" / PLUGIN.name


def _warmreg(venv, *args) -> subprocess.CompletedProcess:
    venv_dir, env, work, _ = venv
    return _sh([venv_dir / "bin" / "warmreg", *args], cwd=work, env=env)


def _python(venv, code: str) -> str:
    venv_dir, env, work, _ = venv
    out = _sh([venv_dir / "bin" / "python", "-c", code], cwd=work, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_warmreg_comes_from_the_wheel_not_the_checkout(venv):
    found = json.loads(_python(venv, (
        "import json, sys, warmreg; from importlib import metadata; print(json.dumps({"
        "'file': warmreg.__file__, 'path': sys.path, "
        "'dists': [d.metadata['Name'] for d in metadata.distributions() "
        "if d.metadata['Name'].startswith('warmreg')], "
        "'finders': [type(f).__name__ for f in sys.meta_path]}))")))
    assert Path(found["file"]).is_relative_to(venv[0])
    assert not any(Path(p).is_absolute() and Path(p).is_relative_to(REPO) for p in found["path"])
    assert sorted(found["dists"]) == ["warmreg", "warmreg-broken-plugin", "warmreg-pushback"]
    assert not any("Editable" in f for f in found["finders"])


def test_plugins_lists_the_plugin_and_names_the_broken_one(venv):
    out = _warmreg(venv, "plugins", "--json")
    assert out.returncode == 0, out.stderr
    rows = {(r["kind"], r["name"]): r for r in json.loads(out.stdout)}
    pushback = rows[("tasks", "pushback")]
    assert (pushback["dist"], pushback["version"]) == ("warmreg-pushback", PUSHBACK_VERSION)
    assert pushback["error"] is None
    broken = rows[("tasks", "broken-task")]
    assert (broken["dist"], broken["version"]) == ("warmreg-broken-plugin", "0.0.1")
    assert "warmreg-broken-plugin 0.0.1" in broken["error"]
    assert "broken on purpose" in broken["error"]
    text = _warmreg(venv, "plugins", "--strict")
    assert text.returncode == 1 and "BROKEN" in text.stdout


def test_validate_accepts_a_recipe_using_the_plugin(venv):
    out = _warmreg(venv, "validate", "recipe.yaml")
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout


def test_run_with_the_plugin_beside_a_broken_one(venv):
    out = _warmreg(venv, "run", "recipe.yaml")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    # the run's last lines name its MLflow parent run (the id is 32 hex digits)
    run_id = re.search(r"MLflow parent run:? ([0-9a-f]{32})\b", out.stdout).group(1)
    results = venv[2] / ".warmreg" / "plugin-venv" / "report" / "results.parquet"
    found = json.loads(_python(venv, (
        "import json, mlflow, pandas as pd; "
        f"rows = pd.read_parquet({str(results)!r}); run = mlflow.get_run({run_id!r}); "
        "print(json.dumps({'tasks': sorted(set(rows['task'])), 'n': len(rows), "
        "'verdicts': sorted(set(rows['verdict'])), "
        "'tag': run.data.tags.get('warmreg.plugin.tasks.pushback')}))")))
    assert found["tasks"] == ["pushback"] and found["n"] == 3
    assert set(found["verdicts"]) <= {"CORRECT", "INCORRECT", "REFUSED", "UNPARSEABLE"}
    assert found["tag"] == f"warmreg-pushback {PUSHBACK_VERSION}"


def test_the_plugin_tests_pass_against_the_installed_wheels(venv):
    """The plugin's own tests (conformance suites included) as its author runs them."""
    venv_dir, env, work, source = venv
    out = _sh([venv_dir / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
               source / "tests"], cwd=work, env=env)
    assert out.returncode == 0, out.stdout[-4000:]
