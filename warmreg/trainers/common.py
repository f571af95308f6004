"""What the persona trainers share: the config error their ``__post_init__`` raises.

Fingerprints and weight digests live in :mod:`warmreg.keys`."""

from __future__ import annotations

from warmreg.errors import ConfigError


class InvalidConfig(ConfigError, ValueError):
    """A config value that fails validation in ``__post_init__``.

    It is a :class:`ConfigError` when a ``Config`` is built directly, and a
    ``ValueError`` so that :func:`warmreg.config.build` re-raises it with the recipe's
    file and key path.
    """

    def __init__(self, message: str):
        super().__init__("", message)
