"""Liveness and readiness.

``/healthz`` says the process answers (no database: a load balancer must not restart every server
because PostgreSQL is down). ``/readyz`` says whether it can serve: the database answers a
trivial query (else 503), and Redis a PING when ``YIMI_REDIS_URL`` is set. Redis is a soft check:
without it the app still serves (budgets and the sign-in throttle count in memory, live updates
degrade), so a Redis outage answers 200 with ``"status": "degraded"`` rather than make a load
balancer pull every server at once. A check going bad is logged once, and once when it is back,
not at every probe.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from yimi import db
from yimi.live.broker import split_redis_url

log = logging.getLogger("yimi.health")
TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


# Without these the app still serves, less well: their failure makes /readyz "degraded", not 503.
SOFT_CHECKS = frozenset({"redis"})


async def readyz(request: Request) -> Response:
    settings = request.app.state.settings
    probes = {"database": db.ping()}
    if settings.redis_url:
        probes["redis"] = _ping_redis(settings.redis_url)
    checks = {name: await _check(request.app.state, name, probe) for name, probe in probes.items()}
    failed = [name for name, result in checks.items() if result != "ok"]
    if any(name not in SOFT_CHECKS for name in failed):
        return JSONResponse({"status": "unavailable", "failed": failed, "checks": checks}, 503)
    if failed:
        return JSONResponse({"status": "degraded", "failed": failed, "checks": checks})
    return JSONResponse({"status": "ok", "checks": checks})


async def _check(state, name: str, probe) -> str:
    # The name of each check that failed at its last probe, and since when (this process's).
    down: dict[str, float] | None = getattr(state, "readiness_down", None)
    if down is None:
        down = state.readiness_down = {}
    try:
        await asyncio.wait_for(probe, TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means not ready
        if name not in down:
            down[name] = time.monotonic()
            # The reason may name hosts and ports: it goes to the log, not to whoever asks.
            what = "degraded" if name in SOFT_CHECKS else "not ready"
            log.warning("Readiness: %s unavailable (%s): %s", name, what, f"{type(exc).__name__}: {exc}")
        return "unavailable"
    if name in down:
        log.warning("Readiness: %s answers again after %.0f s", name, time.monotonic() - down.pop(name))
    return "ok"


async def _ping_redis(url: str) -> None:
    client = Redis.from_url(split_redis_url(url)[0], socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        await client.ping()
    finally:
        await client.aclose()
