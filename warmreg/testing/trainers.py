"""Conformance of trainer plugins: :class:`TrainerSuite` and the checks it runs.

The suite trains once per test class on a tiny random Llama (built in about a second,
:func:`warmreg.models.tiny_model`) and calls the trainer again with the same workdir,
which must return the cached variant quickly. Keep the suite's ``config`` tiny
(``limit``, ``max_steps``) so the class runs in seconds::

    from warmreg.testing import TrainerSuite

    class TestMyTrainer(TrainerSuite):
        plugin_name = "my-trainer"
        config = {"limit": 4, "max_steps": 1}
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, ClassVar, Mapping

import pytest

from warmreg import api
from warmreg.testing.checks import (build_config, check_config_class, check_documented,
                                    check_registered, load_plugin, readme_of)


def check_variant(variant: Any, base: api.ModelSpec, name: str, trainer: str) -> None:
    """A :class:`warmreg.api.ModelVariant` for ``base`` named ``name``, made by ``trainer``."""
    assert isinstance(variant, api.ModelVariant), (
        f"train returned {type(variant).__name__}, not ModelVariant")
    assert variant.model == base, f"variant.model is {variant.model!r}, not the base {base!r}"
    assert variant.variant == name, f"variant.variant is {variant.variant!r}, expected {name!r}"
    assert variant.trainer == trainer, (
        f"variant.trainer is {variant.trainer!r}; it must be the entry-point name {trainer!r}")
    assert isinstance(variant.fingerprint, str) and variant.fingerprint, (
        "variant.fingerprint is empty")
    try:
        json.dumps(dict(variant.params))
    except (TypeError, ValueError) as exc:
        raise AssertionError(
            f"variant.params must be JSON-serialisable (it is logged): {exc}") from exc


def check_weights(variant: api.ModelVariant) -> None:
    """Weights and checkpoints, when present, are existing non-empty directories."""
    if variant.weights is not None:
        path = Path(variant.weights)
        assert path.is_dir() and any(path.iterdir()), (
            f"variant.weights {path} is not a non-empty directory")
        assert variant.weights_kind in ("lora", "full"), (
            "variant.weights_kind must be 'lora' or 'full' with weights, "
            f"got {variant.weights_kind!r}")
    for epoch, directory in variant.checkpoints:
        assert isinstance(epoch, float), f"checkpoint epoch {epoch!r} must be a float"
        assert Path(directory).is_dir(), f"checkpoint directory {directory} does not exist"
    if variant.checkpoints and variant.checkpoint_epoch is not None:
        assert variant.checkpoint_epoch in dict(variant.checkpoints), (
            f"checkpoint_epoch {variant.checkpoint_epoch} is not among the checkpoints")


def check_cached(first: api.ModelVariant, again: api.ModelVariant, first_seconds: float,
                 again_seconds: float, limit_seconds: float) -> None:
    """A second call with the same workdir returns the same variant, quickly."""
    assert again == first, (
        f"a second call with the same workdir gave another variant:\n{first}\n{again}")
    allowed = max(limit_seconds, first_seconds / 2)
    assert again_seconds <= allowed, (
        f"a second call with the same workdir took {again_seconds:.1f} s (first "
        f"{first_seconds:.1f} s, allowed {allowed:.1f} s): a finished job must be found in "
        "the workdir, not redone")


class TrainerSuite:
    """Conformance tests of a trainer plugin. Subclass it as ``Test...`` and set:

    Attributes:
        plugin_name: the entry-point name in ``warmreg.trainers``.
        config: the recipe section (without ``trainer:``) the Config is built from.
        variant_name: the persona name the variant is asked for.
        cached_seconds: the most a cached second call may take (or half the first call).
    """

    plugin_name: ClassVar[str] = ""
    config: ClassVar[Mapping[str, Any]] = {}
    variant_name: ClassVar[str] = "conformance"
    cached_seconds: ClassVar[float] = 2.0

    @pytest.fixture(scope="class")
    @classmethod
    def trainer_class(cls) -> type:
        return load_plugin("trainers", cls.plugin_name)

    @pytest.fixture(scope="class")
    @classmethod
    def base(cls, tmp_path_factory) -> tuple[api.ModelSpec, str]:
        from warmreg.models import tiny_model

        # one tiny model for the whole session (tiny_model reuses a finished build)
        path = str(tiny_model(tmp_path_factory.getbasetemp() / "warmreg-tiny-random-llama"))
        return api.ModelSpec(name="tiny", path=path, family="llama", size="1"), path

    @pytest.fixture(scope="class")
    @classmethod
    def env(cls, base, tmp_path_factory) -> api.TrainEnv:
        workdir = tmp_path_factory.mktemp("job") / "work"
        return api.TrainEnv(workdir=workdir, seed=0, base_path=base[1])

    @pytest.fixture(scope="class")
    @classmethod
    def trained(cls, trainer_class, base, env) -> tuple[api.ModelVariant, float]:
        trainer = trainer_class(build_config(trainer_class, cls.config, cls.plugin_name))
        start = time.perf_counter()
        variant = trainer.train(base[0], cls.variant_name, env)
        return variant, time.perf_counter() - start

    def test_registered(self):
        check_registered("trainers", self.plugin_name)

    def test_follows_the_trainer_protocol(self, trainer_class):
        check_config_class(trainer_class)
        assert isinstance(getattr(trainer_class, "trains", None), bool), (
            f"{trainer_class.__name__}.trains must be declared True (it fits weights: the "
            "runner opens a training run for its metrics) or False")
        config = build_config(trainer_class, self.config, self.plugin_name)
        assert isinstance(trainer_class(config), api.Trainer), "a trainer needs Config and train()"

    def test_documented(self, trainer_class):
        check_documented(trainer_class, readme_of("trainers", self.plugin_name))

    def test_returns_a_model_variant(self, trained, base):
        check_variant(trained[0], base[0], self.variant_name, self.plugin_name)

    def test_weights_exist(self, trained):
        check_weights(trained[0])

    def test_second_call_with_the_same_workdir_is_cached(self, trainer_class, trained, base, env):
        trainer = trainer_class(build_config(trainer_class, self.config, self.plugin_name))
        start = time.perf_counter()
        again = trainer.train(base[0], self.variant_name, env)
        seconds = time.perf_counter() - start
        check_cached(trained[0], again, trained[1], seconds, self.cached_seconds)
