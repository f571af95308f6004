"""Keep MLflow and warmreg's cache out of the working tree and the user's home.

One private MLflow store per pytest session: when the plugins' tests run together
(plugins/test-all.sh), the first conftest sets it and the others keep it, since MLflow's
trace export stays bound to the store it started with.
"""

import os

import pytest

_OWNER = "WARMREG_PLUGIN_TEST_STORE"  # set once per process by whichever conftest runs first


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    if not os.environ.get(_OWNER):
        root = tmp_path_factory.mktemp("env")
        os.environ[_OWNER] = str(root)
        os.environ["WARMREG_HOME"] = str(root / "warmreg-home")
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    yield
