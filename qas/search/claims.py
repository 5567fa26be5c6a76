"""Atomic claims on circuits, so several workers on one study never evaluate a circuit twice.

The claims live in a table ``qas_claims`` in the study's own database (SQLite or
PostgreSQL), next to Optuna's tables. A worker claims a circuit's canonical key before it
trains it; the insert happens under a lock together with a budget check, so across all
workers at most ``budget`` circuits are ever claimed. A claim whose trial failed (a crashed
worker, detected by Optuna's heartbeat) is released so the circuit can be evaluated again.
"""

from __future__ import annotations

import time
import zlib
from typing import Iterable

from qas.core.errors import QasError


class ClaimTable:
    def __init__(self, url: str, study: str) -> None:
        import sqlalchemy as sa

        self.study = study
        kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
        try:
            self.engine = sa.create_engine(url, **kwargs)
            self.dialect = self.engine.dialect.name
            meta = sa.MetaData()
            self.table = sa.Table(
                "qas_claims", meta,
                sa.Column("study", sa.String(512), primary_key=True),
                sa.Column("circuit_key", sa.String(64), primary_key=True),
                sa.Column("trial", sa.Integer),
                sa.Column("worker", sa.String(128)),
                sa.Column("created", sa.Float),
            )
            meta.create_all(self.engine)
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
            raise  # another worker created it at the same moment: the caller retries
        except sa.exc.SQLAlchemyError as exc:
            raise QasError(f"cannot open the claim table in {url}: {exc}") from None
        self._lock_id = zlib.crc32(study.encode()) & 0x7FFFFFFF

    def _locked(self):  # type: ignore[no-untyped-def]
        import sqlalchemy as sa

        conn = self.engine.connect()
        if self.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.begin()
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self._lock_id})
        return conn

    def claim(self, key: str, *, trial: int, worker: str, budget: int) -> str:
        """``"ok"`` if this worker now owns ``key``; ``"taken"`` if another has it; ``"full"``
        if ``budget`` circuits are already claimed."""
        import sqlalchemy as sa

        t = self.table
        conn = self._locked()
        try:
            taken = conn.execute(sa.select(t.c.worker).where(t.c.study == self.study, t.c.circuit_key == key)).first()
            if taken is not None:
                status = "taken"
            else:
                count = conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.study == self.study)).scalar_one()
                if count >= budget:
                    status = "full"
                else:
                    conn.execute(t.insert().values(study=self.study, circuit_key=key, trial=trial, worker=worker,
                                                   created=time.time()))
                    status = "ok"
            conn.commit() if self.dialect != "sqlite" else conn.exec_driver_sql("COMMIT")
            return status
        except BaseException:
            conn.rollback() if self.dialect != "sqlite" else conn.exec_driver_sql("ROLLBACK")
            raise
        finally:
            conn.close()

    def release_trials(self, trials: Iterable[int]) -> int:
        """Drop the claims of these (failed) trial numbers; returns how many."""
        import sqlalchemy as sa

        trials = list(trials)
        if not trials:
            return 0
        t = self.table
        with self.engine.begin() as conn:
            res = conn.execute(sa.delete(t).where(t.c.study == self.study, t.c.trial.in_(trials)))
        return res.rowcount or 0

    def keys(self) -> set[str]:
        import sqlalchemy as sa

        t = self.table
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.select(t.c.circuit_key).where(t.c.study == self.study))}

    def count(self) -> int:
        return len(self.keys())

    def close(self) -> None:
        self.engine.dispose()
