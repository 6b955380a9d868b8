"""One log line and the metrics of each GraphQL request over HTTP, under a request id.

The id comes from the caller's ``X-Request-Id`` when it is short and plain (a proxy's id then
links both logs), else a new one; every HTTP answer returns it in ``X-Request-Id``. The GraphQL
layer fills in the :class:`RequestRecord` it finds in ``request.state`` (caller kind, operation,
cost, outcome); this middleware times the request and writes the line when the answer is sent.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import asdict, dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yimi.ops import metrics

log = logging.getLogger("yimi.requests")

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
STATE_KEY = "yimi_request"


@dataclass
class RequestRecord:
    request_id: str
    caller: str = "public"  # public, staff or partner
    operation: str | None = None
    cost: int | None = None
    # ok, error (some fields failed), rejected (refused before running), rate_limited,
    # unavailable (database down), failed (a bug: see error_id)
    outcome: str | None = None
    error_id: str | None = None


def record_of(request) -> RequestRecord | None:
    return getattr(request, "scope", {}).get("state", {}).get(STATE_KEY)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_ID.match(candidate):
                return candidate
    return secrets.token_hex(8)


def _outcome(status: int) -> str:
    return "ok" if status < 400 else "rejected" if status < 500 else "failed"


class RequestLog:
    def __init__(self, app: ASGIApp, graphql_path: str = "/graphql"):
        self.app = app
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(_request_id(scope))
        scope.setdefault("state", {})[STATE_KEY] = record
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = record.request_id
            await send(message)

        if scope["path"] != self.graphql_path:
            await self.app(scope, receive, send_with_id)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._done(scope, record, status, time.perf_counter() - started)

    @staticmethod
    def _done(scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        outcome = record.outcome or _outcome(status)
        operation = metrics.operation_label(record.operation)
        metrics.REQUESTS.labels(operation, outcome).inc()
        metrics.LATENCY.labels(operation).observe(seconds)
        metrics.refresh_db_connections()  # with several workers, each reports its own as it goes
        fields = {
            **asdict(record),
            "outcome": outcome,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        }
        text = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None and key != "path")
        log.info("%s %s", scope["path"], text, extra={"fields": fields})
