"""The result cache: a circuit is never trained twice for the same task and training config.

SQLite in WAL mode: every ``put`` is one committed transaction, so a process killed
mid-write leaves the cache readable with every earlier result in it. Several processes may
share one cache file.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from qas.core.errors import QasError
from qas.records import EvaluationRecord


def cache_key(circuit_key: str, task_name: str, task_fingerprint: str, train_fingerprint: str) -> str:
    return hashlib.sha256(f"{circuit_key}|{task_name}|{task_fingerprint}|{train_fingerprint}".encode()).hexdigest()


class ResultCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0
        try:
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, circuit_key TEXT, record TEXT, created REAL)"
            )
        except sqlite3.DatabaseError as exc:
            raise QasError(f"result cache {self.path} is not a readable SQLite database: {exc}") from None

    def get(self, key: str) -> EvaluationRecord | None:
        row = self._db.execute("SELECT record FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return EvaluationRecord.from_json(row[0])

    def put(self, key: str, record: EvaluationRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO results (key, circuit_key, record, created) VALUES (?, ?, ?, ?)",
            (key, record.circuit_key, record.to_json(), time.time()),
        )

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def close(self) -> None:
        self._db.close()
