"""Liveness and readiness.

``/healthz`` says the process answers (no database: a load balancer must not restart every server
because PostgreSQL is down). ``/readyz`` says whether it can serve: the database answers a
trivial query, and Redis a PING when ``YIMI_REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from yimi import db
from yimi.live.broker import split_redis_url

log = logging.getLogger("yimi.health")
TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    settings = request.app.state.settings
    probes = {"database": db.ping()}
    if settings.redis_url:
        probes["redis"] = _ping_redis(settings.redis_url)
    checks = {name: await _check(name, probe) for name, probe in probes.items()}
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        return JSONResponse({"status": "unavailable", "failed": failed, "checks": checks}, 503)
    return JSONResponse({"status": "ok", "checks": checks})


async def _check(name: str, probe) -> str:
    try:
        await asyncio.wait_for(probe, TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means not ready
        # The reason may name hosts and ports: it goes to the log, not to whoever asks.
        log.warning("Not ready: %s: %s", name, f"{type(exc).__name__}: {exc}")
        return "unavailable"
    return "ok"


async def _ping_redis(url: str) -> None:
    client = Redis.from_url(split_redis_url(url)[0], socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        await client.ping()
    finally:
        await client.aclose()
