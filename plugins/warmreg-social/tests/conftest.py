"""Keep MLflow and warmreg's cache out of the working tree and the user's home."""

from warmreg.testing.env import isolated_env  # noqa: F401 (an autouse session fixture)
