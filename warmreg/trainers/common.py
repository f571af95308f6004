"""Helpers the persona trainers share: config errors, weight hashes, fingerprints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

from warmreg.api import content_hash
from warmreg.errors import ConfigError

# Files of a checkpoint that hold the model itself (not optimizer, RNG or trainer state).
_WEIGHT_PREFIXES = ("adapter_model", "adapter_config", "model", "pytorch_model")
_WEIGHT_NAMES = ("config.json",)


class InvalidConfig(ConfigError, ValueError):
    """A config value that fails validation in ``__post_init__``.

    It is a :class:`ConfigError` when a ``Config`` is built directly, and a
    ``ValueError`` so that :func:`warmreg.config.build` re-raises it with the recipe's
    file and key path.
    """

    def __init__(self, message: str):
        super().__init__("", message)


def weights_hash(directory: str | Path) -> str:
    """SHA-256 over the weight files of a checkpoint directory (names and bytes).

    JSON configs are hashed in :func:`canonical_json` form (keys sorted; in an adapter
    config, lists too): PEFT writes ``target_modules`` from a set, so its order changes
    from one training process to the next while the weights do not.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(directory).iterdir()):
        if path.is_file() and (path.name in _WEIGHT_NAMES or path.name.startswith(_WEIGHT_PREFIXES)):
            digest.update(path.name.encode())
            if path.suffix == ".json":
                digest.update(canonical_json(path, sort_lists=path.name.startswith("adapter_config")))
                continue
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def canonical_json(path: Path, sort_lists: bool = False) -> bytes:
    """A JSON file's content with keys sorted, and lists too if ``sort_lists`` (an adapter
    config's lists are sets: target and saved modules); the raw bytes if it is not JSON."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return path.read_bytes()
    value = _sorted(value) if sort_lists else value
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def fingerprint(base_path: str, trainer: str, params: Mapping[str, Any],
                weights: str | Path | None = None) -> str:
    """Content hash of what changes a variant's outputs: base, trainer, config, weights."""
    return content_hash(str(base_path), trainer, dict(params),
                        weights_hash(weights) if weights is not None else None)
