"""One log line and the metrics of each GraphQL request over HTTP, under a request id.

The id comes from the caller's ``X-Request-Id`` when it is short and plain (a proxy's id then
links both logs), else a new one; every HTTP answer returns it in ``X-Request-Id``. The GraphQL
layer fills in the :class:`RequestRecord` it finds in ``request.state`` (caller kind, operation,
cost, outcome); this middleware times the request and writes the line when the answer is sent.
When the GraphQL layer could not name the operation (the caller's session could not be read while
the database is down, before the body was parsed), the name comes from the body it kept.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yimi.ops import metrics

log = logging.getLogger("yimi.requests")

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
STATE_KEY = "yimi_request"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,127}$")
# The most of a request body kept to name its operation should GraphQL not get to it.
BODY_KEPT_BYTES = 65_536
# Outcomes where GraphQL may not have read the body: the name is then looked for in it.
_UNNAMED_OUTCOMES = ("unavailable", "failed")


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
        body: list[bytes] = []
        kept = 0

        async def receive_kept() -> Message:
            nonlocal kept
            message = await receive()
            if message["type"] == "http.request" and kept < BODY_KEPT_BYTES:
                chunk = message.get("body", b"")[: BODY_KEPT_BYTES - kept]
                body.append(chunk)
                kept += len(chunk)
            return message

        started = time.perf_counter()
        try:
            await self.app(scope, receive_kept, send_with_id)
        finally:
            if record.operation is None and record.outcome in _UNNAMED_OUTCOMES:
                record.operation = operation_name(b"".join(body))
            self._done(scope, record, status, time.perf_counter() - started)

    @staticmethod
    def _done(scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        outcome = record.outcome or _outcome(status)
        metrics.observe_request(record.operation, outcome, seconds)
        metrics.refresh_db_connections()  # with several workers, each reports its own as it goes
        fields = {
            **vars(record),  # its fields, flat: asdict would deep-copy them (9 µs a request)
            "outcome": outcome,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        }
        text = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None and key != "path")
        log.info("%s %s", scope["path"], text, extra={"fields": fields})


def operation_name(body: bytes) -> str | None:
    """The operation a GraphQL request body names: its ``operationName``, else the name of its one
    operation; None when it names none (or is not a GraphQL request)."""
    from graphql import GraphQLError, OperationDefinitionNode, parse

    try:
        request = json.loads(body)
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    name = request.get("operationName")
    if isinstance(name, str):
        return name if _NAME.match(name) else None
    query = request.get("query")
    if not isinstance(query, str):
        return None
    try:
        document = parse(query, no_location=True, max_tokens=5000)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None
