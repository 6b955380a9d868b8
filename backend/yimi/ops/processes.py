"""Several server processes (``yimi serve --workers N``): what they must share, checked before they start.

Each worker is a process of its own, and whatever it keeps in memory it keeps for itself. Without
Redis, a live update would reach only the subscribers of the worker that made the change, and each
worker would count API budgets and failed sign-ins alone (N workers, N times the limits). So
several workers need ``YIMI_REDIS_URL``: the broker (yimi.live.broker) and the counters
(yimi.common.counters) then go through it. Everything else they share is in the database: session
versions, the data version that invalidates cached answers, idempotency keys, the partner call
log. What stays per process does so on purpose: the list bounds of the cost (re-read every 10 s),
and the counters while Redis does not answer (the log says so).

SQLite is fine with several workers: each has its own connection (reads run side by side), write
transactions take the write lock up front and wait for one another (yimi.db).

Prometheus metrics are pooled through a directory every worker writes to (yimi.ops.metrics).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yimi.db import describe
from yimi.live.broker import split_redis_url
from yimi.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REDIS_TIMEOUT_SECONDS = 2.0


def refusal(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes must not start with these settings, in one line; None if they may."""
    if workers > 1 and not settings.redis_url:
        return (
            f"{workers} workers need YIMI_REDIS_URL (e.g. redis://127.0.0.1:6379/0): without Redis a live update "
            "reaches only the subscribers of the worker that made the change, and each worker counts API budgets "
            f"and failed sign-ins alone ({workers} times the limits); set YIMI_REDIS_URL, or run one worker"
        )
    return None


def redis_problem(url: str) -> str | None:
    """Why Redis at ``url`` does not answer a PING, in one line; None if it does."""
    from redis.asyncio import Redis

    async def ping() -> None:
        client = Redis.from_url(
            split_redis_url(url)[0],
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except Exception as error:  # whatever it is, the server starts and says so
        where = describe(url).replace("://@", "://")  # redis://:PASSWORD@host has no user name
        return f"Redis at {where} does not answer ({type(error).__name__}: {error})"
    return None


@contextmanager
def pooled_metrics(workers: int) -> Iterator[Path | None]:
    """Gives the workers one directory for their metrics while the block runs.

    A ``PROMETHEUS_MULTIPROC_DIR`` given by the operator is used and emptied of earlier runs'
    files first (prometheus-client requires it: they would be summed in); else, with several
    workers, a temporary one, removed afterwards. One worker without it keeps its metrics in memory.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
        yield directory
        return
    if workers <= 1:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="yimi-metrics-"))
    os.environ[MULTIPROC_ENV] = str(directory)  # the workers inherit it
    try:
        yield directory
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(directory, ignore_errors=True)
