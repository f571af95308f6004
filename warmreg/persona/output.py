"""Resumable JSONL output and summary statistics of a persona set.

Every finished conversation is appended as one line and made durable (flush + fsync)
before the next, keyed by a content hash. Opening the file again recovers the keys
already done; a torn last line left by a killed run is cut off, nothing else is lost.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from statistics import mean
from typing import Any, Iterable, Mapping

from warmreg.errors import ConfigError
from warmreg.persona.data import PERSONAS, TYPES


_CODE = re.compile(r"```.*?```", re.S)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def fidelity_issues(original: str, rewritten: str) -> list[str]:
    """What a rewrite visibly lost: code blocks not kept verbatim, numbers dropped.

    A cheap check of the "keep every fact" rule; it cannot see reworded facts.
    """
    issues = [f"code block changed: {block[:40]!r}" for block in _CODE.findall(original)
              if block not in rewritten]
    prose = _CODE.sub(" ", original)
    issues += [f"number missing: {n}" for n in dict.fromkeys(_NUMBER.findall(prose))
               if n not in rewritten]
    return issues


class ResumableJsonl:
    """An append-only JSONL file of rows that carry a ``"key"``.

    Attributes:
        path: the file.
        rows: every row in the file by key, in file order.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.rows: dict[str, dict] = self._recover()
        self._file = None

    def _recover(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        data = self.path.read_bytes()
        rows, good_end = {}, 0
        for line in data.splitlines(keepends=True):
            try:
                row = json.loads(line)
                complete = line.endswith(b"\n")
            except json.JSONDecodeError:
                row, complete = None, False
            if not complete or not isinstance(row, dict) or "key" not in row:
                break
            rows[row["key"]] = row
            good_end += len(line)
        if good_end < len(data):
            tail = data[good_end:]
            if b"\n" in tail.rstrip(b"\n"):  # damage before the last line: not from a kill
                raise ConfigError(f"{self.path}:{len(rows) + 1}", "invalid line in output "
                                  "file; fix or remove it to resume")
            print(f"{self.path}: dropping a torn last line left by an interrupted run",
                  file=sys.stderr)
            with open(self.path, "r+b") as f:
                f.truncate(good_end)
        return rows

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def append(self, row: Mapping[str, Any]) -> None:
        """Write one row and make it durable before returning."""
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.rows[row["key"]] = dict(row)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "ResumableJsonl":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def persona_stats(rows: Iterable[Mapping[str, Any]]) -> dict:
    """Counts per type, turns, mean reply length per persona, and rewrites flagged by
    :func:`fidelity_issues`, of persona-set rows."""
    rows = list(rows)
    replies: dict[str, list[str]] = {p: [] for p in PERSONAS}
    for row in rows:
        replies["original"] += [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        replies["warm"] += list(row["warm"])
        replies["cold"] += list(row["cold"])
    turns = [len(row["warm"]) for row in rows]
    flagged = {p: sum(bool(fidelity_issues(o, r)) for o, r in zip(replies["original"],
                                                                   replies[p]))
               for p in ("warm", "cold")}
    return {
        "conversations": len(rows),
        "by_type": {t: sum(r["type"] == t for r in rows) for t in TYPES},
        "assistant_turns": sum(turns),
        "multi_turn_conversations": sum(n > 1 for n in turns),
        "max_assistant_turns": max(turns, default=0),
        "mean_words": {p: _mean(len(t.split()) for t in texts) for p, texts in replies.items()},
        "mean_chars": {p: _mean(len(t) for t in texts) for p, texts in replies.items()},
        "turns_losing_code_or_numbers": flagged,
    }


def _mean(values: Iterable[int]) -> float:
    values = list(values)
    return round(mean(values), 1) if values else 0.0
