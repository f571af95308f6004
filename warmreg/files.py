"""Atomic file writes: a reader (or a resumed run after ``kill -9``) never sees half a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json_atomic(path: str | Path, data: Any, indent: int = 1) -> None:
    """Write ``data`` as JSON (keys sorted, UTF-8 kept) atomically."""
    write_text_atomic(path, json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False) + "\n")
