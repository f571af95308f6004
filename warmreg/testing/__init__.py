"""Conformance suites a plugin's tests subclass (needs pytest: ``pip install warmreg[test]``).

================  =========================================  ==========================
suite             what a subclass sets                        module
================  =========================================  ==========================
``TaskSuite``     ``plugin_name``, ``config``, ``limit``     :mod:`.tasks`
``JudgeSuite``    ``plugin_name``, ``config``,               :mod:`.judges`
                  ``changed_config``, ``items``
``TrainerSuite``  ``plugin_name``, ``config``                :mod:`.trainers`
================  =========================================  ==========================

Each suite loads the plugin through the registry exactly as a recipe does (so the
plugin's distribution must be installed) and checks the contract in
:mod:`warmreg.api`. Every test calls a ``check_*`` function, public here so a plugin's
tests can also run one check on its own. See ``docs/plugin-guide.md`` and the example
distribution ``plugins/template``. :mod:`.env` has the fixture that keeps a plugin's tests'
MLflow store and cache out of the working tree.
"""

from warmreg.testing.checks import (build_config, check_config_class, check_documented,
                                    check_registered, load_plugin, undocumented_fields)
from warmreg.testing.judges import (EDGE_RESPONSES, MULTIPLE_CHOICE, NUMERIC, REFUSAL,
                                    SAMPLE_ITEMS, SHORT_ANSWER, JudgeSuite, check_deterministic,
                                    check_edge_responses, check_fingerprint, check_grade_many,
                                    check_verdict)
from warmreg.testing.tasks import (TaskSuite, check_default_judge, check_history, check_item,
                                   check_items, check_limit, check_stable, check_task_class,
                                   check_turn_plan)
from warmreg.testing.trainers import TrainerSuite, check_cached, check_variant, check_weights

__all__ = [
    "TaskSuite", "JudgeSuite", "TrainerSuite",
    "SAMPLE_ITEMS", "SHORT_ANSWER", "NUMERIC", "MULTIPLE_CHOICE", "REFUSAL", "EDGE_RESPONSES",
    "load_plugin", "build_config", "check_registered", "check_config_class", "check_documented",
    "undocumented_fields",
    "check_task_class", "check_items", "check_item", "check_history", "check_stable",
    "check_limit", "check_default_judge", "check_turn_plan",
    "check_verdict", "check_deterministic", "check_edge_responses", "check_fingerprint",
    "check_grade_many",
    "check_variant", "check_weights", "check_cached",
]
