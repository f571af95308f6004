"""Every key warmreg derives from content: hashes, seeded ranks, fingerprints, metric names.

One home for each, imported everywhere, so a cache key, a sample or a metric name is
computed one way only:

- :func:`content_hash` — the cache key of anything JSON-serialisable;
- :func:`rank` — the seeded order items are sampled in (``sha256(seed, id)``);
- :func:`index` / :func:`pick` — the seeded choice of a statement for a slot;
- :func:`weights_digest` / :func:`variant_fingerprint` — the one fingerprint of a
  checkpoint (the evaluated checkpoint's is the variant's own);
- :func:`metric_name` — an MLflow-legal metric name from parts.

``rank`` and ``index`` hash different byte layouts. Both are kept as they are: changing
either would resample every task or reassign every context statement, and so change every
prompt and invalidate every store written before.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Mapping, Sequence, TypeVar

T = TypeVar("T")

# Files of a checkpoint that hold the model itself (not optimizer, RNG or trainer state).
_WEIGHT_PREFIXES = ("adapter_model", "adapter_config", "model", "pytorch_model")
# a provider-served checkpoint (a fine-tuning API's model id) is a directory holding this
SERVED_MODEL_FILE = "served_model.json"
_WEIGHT_NAMES = ("config.json", SERVED_MODEL_FILE)
_METRIC_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. ]")


def content_hash(*parts: Any) -> str:
    """A stable hex digest of JSON-serialisable parts (dict keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def short_id(*parts: Any) -> str:
    """A 12-hex id for a row that has none (the same content gets the same id)."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def rank(seed: int, key: str) -> str:
    """Sort key of ``key`` in the seeded order: ``sha256(f"{seed}\\0{key}")``."""
    return hashlib.sha256(f"{seed}\x00{key}".encode("utf-8")).hexdigest()


def index(n: int, seed: int, *keys: object) -> int:
    """A stable index in ``range(n)``: ``sha256(json([seed, *keys]))`` modulo ``n``.

    Args:
        n: number of options (at least 1).
        seed: the recipe seed.
        *keys: anything with a stable ``str`` (task name, item id, context name, ...).
    """
    if n < 1:
        raise ValueError("cannot pick from an empty set of options")
    blob = json.dumps([int(seed), *map(str, keys)], ensure_ascii=False)
    digest = hashlib.sha256(blob.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n


def pick(options: Sequence[T], seed: int, *keys: object) -> T:
    """The option assigned to ``keys`` under ``seed`` (reordering options reassigns)."""
    return options[index(len(options), seed, *keys)]


def weights_digest(directory: str | Path) -> str:
    """SHA-256 over the weight files of a checkpoint directory (names and bytes).

    Only files that hold the model count (adapter or model weights and configs), so
    optimizer and trainer state written beside them do not change the digest; JSON
    configs count in :func:`canonical_json` form.
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
    """A JSON file's content with keys sorted, and lists too if ``sort_lists``.

    An adapter config's lists are sets (target and saved modules): PEFT writes
    ``target_modules`` from a set, so its order changes from one training process to the
    next while the weights do not. The raw bytes when the file is not JSON.
    """
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
        return sorted((_sorted(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def variant_fingerprint(base_path: str, trainer: str, params: Mapping[str, Any],
                        weights: str | Path | None = None) -> str:
    """The fingerprint of a variant at one checkpoint: base, trainer, config, weights.

    Every place that names a checkpoint (the evaluated variant, a per-epoch warmth check,
    ``ModelVariant.at_checkpoint``) computes it here, so one checkpoint has one fingerprint
    and its generations are cached once.
    """
    return content_hash(str(base_path), trainer, dict(params),
                        weights_digest(weights) if weights is not None else None)


def metric_name(*parts: object) -> str:
    """An MLflow-legal metric name from its parts, joined by ``/``.

    In each part ``:`` becomes ``.`` and any other character outside ``[A-Za-z0-9_-. ]``
    (``/`` included) becomes ``_``; empty parts are dropped. A whole name is passed as
    its parts: ``metric_name(*"delta_pp/m/emotion:sad".split("/"))``.
    """
    return "/".join(_METRIC_UNSAFE.sub("_", str(p).replace(":", ".")) for p in parts
                    if str(p) != "")
