"""A plugin's tests kept out of the working tree and the user's home.

Import :func:`isolated_env` into a plugin's ``tests/conftest.py``::

    from warmreg.testing.env import isolated_env  # noqa: F401 (an autouse session fixture)

One private MLflow store and warmreg cache per pytest session: when several plugins' tests
run together (``plugins/test-all.sh``), the first conftest sets them and the others keep
them, since MLflow's trace export stays bound to the store it started with.
"""

import os

import pytest

_OWNER = "WARMREG_PLUGIN_TEST_STORE"  # set once per process by whichever conftest runs first


@pytest.fixture(scope="session", autouse=True)
def isolated_env(tmp_path_factory):
    """``WARMREG_HOME`` and ``MLFLOW_TRACKING_URI`` under a session temp dir; hub offline."""
    if not os.environ.get(_OWNER):
        root = tmp_path_factory.mktemp("env")
        os.environ[_OWNER] = str(root)
        os.environ["WARMREG_HOME"] = str(root / "warmreg-home")
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    yield
