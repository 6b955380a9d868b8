"""Prometheus metrics, served at /metrics to loopback and the networks YIMI_METRICS_ALLOWED_NETWORKS lists.

With several server processes (``yimi serve --workers N``) the metrics are pooled through
prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` names a directory every
process writes to, and whichever process answers /metrics reports the sum.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from yimi import db

REQUESTS = Counter(
    "yimi_graphql_requests",
    "GraphQL requests over HTTP answered, by operation name and outcome "
    "(ok, error, rejected, rate_limited, unavailable, failed)",
    ["operation", "outcome"],
)
LATENCY = Histogram(
    "yimi_graphql_request_duration_seconds",
    "Time to answer a GraphQL request over HTTP",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUERY_COST = Histogram(
    "yimi_graphql_query_cost_points",
    "Points a GraphQL operation cost (README, Limits)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
RATE_LIMIT_REFUSALS = Counter(
    "yimi_rate_limit_refusals",
    "Requests refused because the caller's budget was spent, by caller kind",
    ["caller_kind"],
)
LIVE_SUBSCRIBERS = Gauge(
    "yimi_live_subscribers",
    "issueChanged subscriptions open",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS = Gauge(
    "yimi_db_connections",
    "Database connections: open, in_use and max (SQLite: one connection for every query)",
    ["state"],
    multiprocess_mode="livesum",
)

# Each series's child, made once: labels() takes a lock and builds its key at every call. Their
# values are few (MAX_OPERATION_NAMES, the outcomes, the connection states).
_requests = functools.cache(REQUESTS.labels)
_latency = functools.cache(LATENCY.labels)
_db_connections = functools.cache(DB_CONNECTIONS.labels)

# Operation names are chosen by callers: past this many distinct names, new ones count as
# "other", so that a client inventing names cannot grow the metrics without bound.
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _operation_names:
        return name
    if not _NAME.match(name) or len(_operation_names) >= MAX_OPERATION_NAMES:
        return "other"
    _operation_names.add(name)
    return name


def observe_request(operation: str | None, outcome: str, seconds: float) -> None:
    """Counts and times a GraphQL request over HTTP (yimi.ops.requests)."""
    label = operation_label(operation)
    _requests(label, outcome).inc()
    _latency(label).observe(seconds)


def refresh_db_connections() -> None:
    try:
        open_, in_use, most = db.pool_connections()
    except Exception:  # no ORM in this process (yet): nothing to report
        return
    _db_connections("open").set(open_)
    _db_connections("in_use").set(in_use)
    _db_connections("max").set(most)


def process_exiting() -> None:
    """Drops this process's live gauges from the sum of several workers (multiprocess mode)."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        mark_process_dead(os.getpid())


def may_read_metrics(request: Request) -> bool:
    """Loopback or an allowed network. The address is the one uvicorn settled on: the peer's, or the
    X-Forwarded-For of a proxy listed in YIMI_FORWARDED_ALLOW_IPS (and no one else's)."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    networks = request.app.state.settings.metrics_allowed_networks
    return address.is_loopback or any(address in network for network in networks)


async def metrics(request: Request) -> Response:
    if not may_read_metrics(request):
        return PlainTextResponse("/metrics is for loopback and YIMI_METRICS_ALLOWED_NETWORKS only.", 403)
    refresh_db_connections()
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
