"""The suites as a plugin's tests use them: a broken third-party task, registered through
entry-point metadata, fails exactly the suite tests it violates."""

import os
import subprocess
import sys
import textwrap

from warmreg.testing import TaskSuite

BROKEN = '''
"""A task with duplicate ids that draws items at random."""
import random
from dataclasses import dataclass
from warmreg.api import RELIABILITY, Item


@dataclass(frozen=True)
class Config:
    limit: int | None = None  # items to keep
    judge: str = "answer-match"  # default judge
    max_new_tokens: int | None = None  # generation length


class Broken:
    """Ten addition questions, badly made."""

    Config = Config
    category = RELIABILITY
    refusal_is_correct = False

    def __init__(self, config):
        self.config = config

    def items(self, seed):
        items = [Item(task="suite-broken", id=str(n % 3), question=f"{n} + 1?",
                      correct=(str(n + 1),), meta={"r": random.random()}) for n in range(10)]
        return items[: self.config.limit]
'''

TESTS = '''
from warmreg.testing import TaskSuite


class TestBroken(TaskSuite):
    plugin_name = "suite-broken"
'''


def _install_by_metadata(site):
    """What pip would write: the module and a dist-info with its entry points."""
    (site / "suite_broken.py").write_text(textwrap.dedent(BROKEN))
    info = site / "warmreg_suite_broken-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: warmreg-suite-broken\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text("[warmreg.tasks]\nsuite-broken = suite_broken:Broken\n")


def test_the_suite_reports_each_violation(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install_by_metadata(site)
    (tmp_path / "test_broken.py").write_text(TESTS)
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                          "test_broken.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    report = out.stdout
    assert out.returncode == 1, report + out.stderr
    failed = {line.split("::")[-1].split(" ")[0] for line in report.splitlines()
              if line.startswith("FAILED")}
    assert failed == {"test_items_are_well_formed", "test_items_are_stable_under_a_seed"}, report
    assert "duplicate id '0'" in report and "not deterministic" in report
    n_tests = sum(name.startswith("test_") for name in dir(TaskSuite))
    assert f"2 failed, {n_tests - 2} passed" in report  # every other check of the suite ran
