"""Where a run's trials live: an Optuna storage chosen by URL, in this one place.

``sqlite:///runs/NAME/study.db`` is the default (one file beside the run's outputs);
``postgresql://user@host/db`` serves several worker processes or machines. Heartbeats let a
crashed worker's RUNNING trial be failed and its circuit retried.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any, Callable, TypeVar

from qas.core.errors import QasError

# We drive trials with ask-and-tell and record heartbeats ourselves (runner._heartbeat).
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
warnings.filterwarnings("ignore", message=".*heartbeat_interval.*is an experimental feature")
warnings.filterwarnings("ignore", message=".*grace_period.*is an experimental feature")

T = TypeVar("T")

HEARTBEAT_SECONDS = 30
GRACE_SECONDS = 120


def default_storage_url(run_dir: Path) -> str:
    return f"sqlite:///{(run_dir / 'study.db').resolve()}"


def get_storage(url: str, *, heartbeat: bool = False) -> Any:
    import optuna

    if "://" not in url:
        raise QasError(f"storage {url!r} is not a URL; use sqlite:///path/study.db or postgresql://user@host/db")
    scheme = url.split("://", 1)[0].split("+", 1)[0]
    if scheme not in ("sqlite", "postgresql", "mysql"):
        raise QasError(f"unsupported storage scheme {scheme!r}; use sqlite, postgresql or mysql")
    engine_kwargs: dict[str, Any] = {}
    if scheme == "sqlite":
        engine_kwargs["connect_args"] = {"timeout": 60}
    else:
        engine_kwargs["pool_pre_ping"] = True
    kwargs: dict[str, Any] = {}
    if heartbeat:
        kwargs = {"heartbeat_interval": HEARTBEAT_SECONDS, "grace_period": GRACE_SECONDS}
    try:
        # workers starting together race to create Optuna's tables: the losers retry
        return retry_on_race(lambda: optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **kwargs))
    except Exception as exc:  # sqlalchemy raises many kinds for a bad URL or server
        raise QasError(f"cannot open storage {url}: {exc}") from None


def retry_on_race(fn: Callable[[], T], attempts: int = 5) -> T:
    """Run ``fn``, retrying when workers starting together race to create the same tables
    or study (the loser sees an integrity or duplicate-object error)."""
    import sqlalchemy as sa
    from optuna.exceptions import DuplicatedStudyError

    for k in range(attempts):
        try:
            return fn()
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.OperationalError, DuplicatedStudyError):
            if k == attempts - 1:
                raise
            time.sleep(0.2 * (k + 1))
    raise AssertionError("unreachable")
