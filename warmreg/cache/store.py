"""A local content-addressed store of generations and verdicts (SQLite, WAL).

Every result is written as it completes, keyed by a content hash of everything that
determines it, so a re-run pays nothing for work already done and a killed run
(even ``kill -9``) resumes with no lost or duplicated items.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Iterable

from warmreg.api import ENDPOINT_ERROR, Generation, Verdict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY, text TEXT NOT NULL, n_prompt_tokens INTEGER,
    n_new_tokens INTEGER, finish_reason TEXT, meta TEXT);
CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY, label TEXT NOT NULL, judge TEXT NOT NULL, explanation TEXT);
CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, value REAL);
CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT);
"""
_CHUNK = 500  # keys per SELECT ... IN (...)
# Version 2: one fingerprint per checkpoint (warmreg.keys.variant_fingerprint), adapter
# configs hashed in canonical form. Keys of version 1 stay valid for everything else.
# Version 3: endpoint errors are never stored; the judge-endpoint failures that earlier
# versions stored as UNPARSEABLE are deleted so they are judged again.
LAYOUT = 3
UPGRADE_NOTE = {  # by the layout upgraded from
    1: "checkpoint fingerprints are now computed one way, so the warmth check answers its "
       "prompts once more on checkpoints other than the evaluated one; every other cached "
       "generation, verdict and score is reused",
    2: "verdicts that a failed judge endpoint produced (stored as UNPARSEABLE 'judge backend "
       "error') were deleted and are judged again",
}
UPGRADE_SQL = {  # by the layout upgraded from
    2: "DELETE FROM verdicts WHERE label = 'UNPARSEABLE' "
       "AND explanation LIKE 'judge backend error%'",
}


class Store:
    """Generations and verdicts by content key.

    Args:
        path: the SQLite file (created with its parent directories).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.upgraded_from = self._upgrade()

    def _upgrade(self) -> int | None:
        """Record the key layout; the earlier layout of a store that had one, else None."""
        row = self._db.execute("SELECT value FROM info WHERE name = 'layout'").fetchone()
        written = int(row[0]) if row else (1 if self._has_rows() else LAYOUT)
        with self._db:
            for version in range(written, LAYOUT):
                if version in UPGRADE_SQL:
                    self._db.execute(UPGRADE_SQL[version])
            self._db.execute("INSERT OR REPLACE INTO info VALUES ('layout', ?)", (str(LAYOUT),))
        return written if written < LAYOUT else None

    def _has_rows(self) -> bool:
        return any(self._db.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
                   for t in ("generations", "verdicts", "scores"))

    def upgrade_message(self) -> str | None:
        """What changed for a store written by an earlier layout (None when current)."""
        if self.upgraded_from is None:
            return None
        notes = "; ".join(UPGRADE_NOTE[v] for v in range(self.upgraded_from, LAYOUT))
        return f"store {self.path} was written by an earlier warmreg (layout " \
               f"{self.upgraded_from}, now {LAYOUT}): {notes}"

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def generations(self, keys: Iterable[str]) -> dict[str, Generation]:
        """The stored generations among ``keys``."""
        rows = self._select("SELECT key, text, n_prompt_tokens, n_new_tokens, finish_reason, "
                            "meta FROM generations", keys)
        return {k: Generation(t, p or 0, n or 0, f or "stop", **_served(m))
                for k, t, p, n, f, m in rows}

    def put_generation(self, key: str, gen: Generation, meta: dict | None = None) -> None:
        """Store one generation (committed at once). Errors are not stored: they retry."""
        if gen.finish_reason == "error":
            return
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?, ?, ?)",
                (key, gen.text, gen.n_prompt_tokens, gen.n_new_tokens, gen.finish_reason,
                 json.dumps({**(meta or {}), **_served_fields(gen)}, ensure_ascii=False)))

    def verdicts(self, keys: Iterable[str]) -> dict[str, Verdict]:
        """The stored verdicts among ``keys``."""
        rows = self._select("SELECT key, label, judge, explanation FROM verdicts", keys)
        return {k: Verdict(label, judge, expl or "") for k, label, judge, expl in rows}

    def put_verdict(self, key: str, verdict: Verdict) -> None:
        """Store one verdict (committed at once). ENDPOINT_ERROR is not stored: it retries."""
        if verdict.label == ENDPOINT_ERROR:
            return
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?)",
                             (key, verdict.label, verdict.judge, verdict.explanation))

    def scores(self, keys: Iterable[str]) -> dict[str, float]:
        """The stored scores (e.g. warmth) among ``keys``; NaN where NaN was stored."""
        rows = self._select("SELECT key, value FROM scores", keys)
        return {k: float("nan") if v is None else v for k, v in rows}

    def put_scores(self, scores: dict[str, float]) -> None:
        """Store scores by key, in one transaction (NaN is stored as NULL)."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?)",
                                 [(k, None if v != v else v) for k, v in scores.items()])

    def counts(self) -> dict[str, int]:
        """Number of stored generations, verdicts and scores."""
        return {t: self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("generations", "verdicts", "scores")}

    def _select(self, query: str, keys: Iterable[str]) -> list[tuple]:
        keys = list(dict.fromkeys(keys))
        rows: list[tuple] = []
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += self._db.execute(f"{query} WHERE key IN ({marks})", chunk).fetchall()
        return rows


_SERVED = ("served_model", "system_fingerprint")


def _served_fields(gen: Generation) -> dict:
    """What an API said about the model that answered, kept in the row's meta."""
    return {name: getattr(gen, name) for name in _SERVED if getattr(gen, name)}


def _served(meta: str | None) -> dict:
    try:
        value = json.loads(meta or "{}")
    except ValueError:
        return {}
    return {name: str(value[name]) for name in _SERVED if isinstance(value, dict) and name in value}
