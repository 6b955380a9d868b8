"""API limits: depth, aliases, tokens, query cost, an hourly budget per caller, masked errors.

Everything is checked before any resolver runs. The limit values come from the settings of the
app serving the request (``info.context.settings``), so one schema serves apps with different
limits. See README "Limits" and :mod:`yimi.graphql.cost` for the cost rule.

* ``RequestLimits`` (a schema extension) sets the token limit of the parser, then — before
  validation, so that nothing else walks a document first — checks depth, aliases and cost in
  walks linear in the document's size (:mod:`yimi.graphql.cost`; Strawberry's own limiters and
  the cost walk re-entered a fragment at each spread, exponential in the number of fragments),
  refusing a cost above ``max_query_cost``. After validation (which also turns introspection off
  for anonymous callers in production) it charges the caller's budget (refusing when it would go
  below zero), leaves the outcome on the context for the ``rateLimit`` field and sets the
  ``X-RateLimit-*`` headers.
* ``Budget`` keeps the points spent per caller and window with the ``limits`` library: a fixed
  window, the cost as the weight of a hit; in memory, or in Redis when ``YIMI_REDIS_URL`` is set
  (several server processes then share budgets).
* ``MaskErrorsWithId`` masks unexpected errors with an error id that is also logged. When the
  database cannot be reached, the answer is ``data: null`` with one ``SERVICE_UNAVAILABLE`` error
  (HTTP 503, ``Retry-After``), logged in one line without a traceback.

Refusals are GraphQL errors with ``data: null`` and HTTP 200, as GitHub answers (``extensions.code``
``MAX_COST_EXCEEDED`` or ``RATE_LIMITED``, the latter with ``Retry-After``): the same answer
then reaches HTTP and WebSocket clients. A subscription pays its cost when it starts and again for
each event it delivers; when the budget is spent it ends with RATE_LIMITED.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from limits import RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.responses import Response
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from yimi import db
from yimi.accounts.tokens import log_call
from yimi.common.counters import counter_storage
from yimi.graphql.cost import QueryCost, document_shape, find_operation, only_free_fields, operation_cost
from yimi.graphql.documents import known_document, variables_digest
from yimi.graphql.list_bounds import sizes_of
from yimi.ops import metrics

error_log = logging.getLogger("yimi.errors")

RATE_LIMITED = "RATE_LIMITED"
MAX_COST_EXCEEDED = "MAX_COST_EXCEEDED"
LIMIT_CODES = frozenset({RATE_LIMITED, MAX_COST_EXCEEDED})
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
# Long enough for a database restart or failover not to be hammered, short enough to notice it back.
RETRY_AFTER_SECONDS = 5


# --- callers and budgets -------------------------------------------------------------------


def caller_key(context: Any) -> str:
    """Whose budget a request spends: a partner token, else the signed-in staff, else the IP.

    Behind a reverse proxy, run uvicorn with ``--proxy-headers --forwarded-allow-ips`` so that
    the client address is the caller's, not the proxy's.
    """
    token = getattr(context, "token", None)
    if token is not None:
        return f"token:{token.id}"
    user = getattr(context, "user", None)
    if user is not None:
        return f"staff:{user.id}"
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    return f"ip:{client.host}" if client else "ip:unknown"


def caller_kind(context: Any) -> str:
    if getattr(context, "token", None) is not None:
        return "partner"
    return "staff" if getattr(context, "user", None) is not None else "public"


@dataclass(frozen=True)
class RateLimitStatus:
    cost: int
    limit: int
    remaining: int
    reset_at: float  # epoch seconds
    allowed: bool = True


class Budget:
    """Points per caller per fixed window, in memory or (with ``redis_url``) in Redis.

    One round trip to Redis per request: the points are spent first (``incr``, which opens the window) and
    given back if that overdrew the budget, and the window's end is remembered in the process (it is set
    when the window opens and never moves), read from Redis again only once it has passed. limits'
    ``test``, ``hit`` and ``get_window_stats`` took four round trips, a fifth of a worker's time under load.
    """

    # Window ends remembered per caller, at most this many (the passed ones are dropped first).
    MAX_REMEMBERED = 10_000

    def __init__(self, settings):
        self.limit = settings.rate_limit_points
        self.window = settings.rate_limit_window_seconds
        self.prefix = settings.rate_limit_key_prefix
        self.item = RateLimitItemPerSecond(self.limit, self.window)
        # While Redis does not answer, each process counts in its own memory (common.counters).
        self.storage: Storage = counter_storage(settings.redis_url, "yimi-budget")
        self.limiter = FixedWindowRateLimiter(self.storage)
        self._resets: dict[tuple[str, bool], float] = {}  # (key, counted in memory) → its window's end

    async def charge(self, caller: str, cost: int) -> RateLimitStatus:
        """Spend ``cost`` points unless fewer remain; a refused request spends nothing."""
        key = self.item.key_for(self.prefix, caller)
        now = time.time()
        allowed = True
        if cost > 0:
            spent = await self.storage.incr(key, self.window, amount=cost)
            if spent == cost:  # this charge opened the window
                self._remember(self._window_of(key), now + self.window)
            if spent > self.limit:
                # Given back: while it is out, a concurrent request of the same caller may be refused too
                # (a caller at the end of its budget), never served past it.
                allowed = False
                spent = await self.storage.incr(key, self.window, amount=-cost)
        else:
            spent = await self.storage.get(key)
        if spent <= 0:  # no window open yet: one would start now
            reset = now + self.window
        elif (reset := self._resets.get(self._window_of(key), 0.0)) <= now:
            reset = await self.storage.get_expiry(key)
            self._remember(self._window_of(key), reset)
        # A refund that came after its window ended opened the next one in credit (at most one request's cost):
        # what is shown stays within the budget.
        remaining = min(self.limit, max(0, self.limit - spent))
        return RateLimitStatus(cost=cost, limit=self.limit, remaining=remaining, reset_at=reset, allowed=allowed)

    def _window_of(self, key: str) -> tuple[str, bool]:
        """Whose window, and where it is counted: a window counted in memory while Redis does not answer
        ends at a time of its own."""
        return key, getattr(self.storage, "using_memory", False)

    def _remember(self, key: tuple[str, bool], reset: float) -> None:
        if len(self._resets) >= self.MAX_REMEMBERED:
            now = time.time()
            self._resets = {k: at for k, at in self._resets.items() if at > now}
            if len(self._resets) >= self.MAX_REMEMBERED // 2:  # not pruned again at each new caller
                self._resets.clear()
        self._resets[key] = reset

    async def reset(self, caller: str) -> None:
        key = self.item.key_for(self.prefix, caller)
        for in_memory in (False, True):
            self._resets.pop((key, in_memory), None)
        await self.limiter.clear(self.item, self.prefix, caller)

    async def close(self) -> None:
        """Closes the Redis connections, if any (limits' storages have no public close)."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()


def _budget_of(context: Any) -> Budget | None:
    request = getattr(context, "request", None)
    app = getattr(request, "app", None) if request is not None else None
    state = getattr(app, "state", None)
    return getattr(state, "budget", None)


# --- the extension -------------------------------------------------------------------------


def hides_schema(context: Any) -> bool:
    """Introspection and "Did you mean" suggestions are off for anonymous callers in production."""
    settings = getattr(context, "settings", None)
    return settings is not None and settings.env == "production" and getattr(context, "user", None) is None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _set_headers(context: Any, status: RateLimitStatus) -> None:
    headers = getattr(getattr(context, "response", None), "headers", None)
    if headers is None or not hasattr(context.response, "status_code"):
        return  # a WebSocket: no headers per operation
    headers["X-RateLimit-Limit"] = str(status.limit)
    headers["X-RateLimit-Remaining"] = str(status.remaining)
    headers["X-RateLimit-Reset"] = str(math.ceil(status.reset_at))
    headers["X-RateLimit-Cost"] = str(status.cost)
    if not status.allowed:
        headers["Retry-After"] = str(max(1, math.ceil(status.reset_at - time.time())))


class RequestLimits(SchemaExtension):
    cost: QueryCost | None = None

    def on_operation(self):
        context = self.execution_context.context
        settings = getattr(context, "settings", None)
        if settings is not None:
            self.execution_context.parse_options["max_tokens"] = settings.max_query_tokens  # as MaxTokensLimiter
            if hides_schema(context):
                self.execution_context.validation_rules = (
                    *self.execution_context.validation_rules,
                    NoSchemaIntrospectionCustomRule,
                )
        yield
        record = getattr(context, "record", None)  # yimi.ops.requests: the request's log line
        if record is not None:
            record.operation = self.execution_context.operation_name
            record.outcome, record.error_id = _outcome(self.execution_context.result)

    async def on_validate(self):
        ec = self.execution_context
        settings = getattr(ec.context, "settings", None)
        if settings is not None and ec.graphql_document is not None and ec.pre_execution_errors is None:
            refusal = await self._check(settings)
            if refusal is not None:
                ec.pre_execution_errors = [refusal]  # Strawberry then skips validation and execution
        yield

    async def _check(self, settings) -> GraphQLError | None:
        ec = self.execution_context
        document = ec.graphql_document
        assert document is not None
        # The walks below depend on the document, the operation, the variables and the list sizes
        # only: worked out once per document (yimi.graphql.documents) for each of those.
        known = known_document(ec)
        walked = known.memo.get(("walked", ec.operation_name)) if known is not None else None
        if walked is None:
            shape = document_shape(document)
            operation = find_operation(document, ec.operation_name)
            free = operation is None or only_free_fields(document, operation)
            walked = (shape, operation, free)
            if known is not None:
                known.remember(("walked", ec.operation_name), walked)
        shape, operation, free = walked
        for name, depth in shape.depth.items():
            if depth > settings.max_query_depth:
                return GraphQLError(f"'{name}' exceeds maximum operation depth of {settings.max_query_depth}")
        if shape.aliases > settings.max_query_aliases:
            return GraphQLError(f"{shape.aliases} aliases found. Allowed: {settings.max_query_aliases}")
        # Only what reads data needs the figures of the database (and a database that answers).
        sizes = None if free else await sizes_of(ec.context).current(getattr(ec.context, "data_version", None))
        cost_key = (ec.operation_name, variables_digest(ec))
        cost = known.cost(cost_key, sizes) if known is not None else None
        if cost is None:
            cost = operation_cost(ec.schema._schema, document, operation, ec.variables, sizes, free=free)
            if known is not None:
                known.remember_cost(cost_key, sizes, cost)
        self.cost = cost
        metrics.QUERY_COST.observe(cost.points)
        if getattr(ec.context, "record", None) is not None:
            ec.context.record.cost = cost.points
        if cost.points > settings.max_query_cost:
            return GraphQLError(
                f"Query cost {cost.points} exceeds the maximum of {settings.max_query_cost} points per request "
                f"({cost.objects} objects from lists, {cost.fixed} fixed points); ask for smaller pages "
                "(`first`), fewer nested lists or fewer IDs.",
                extensions={"code": MAX_COST_EXCEEDED, "cost": cost.points, "maximum": settings.max_query_cost},
            )
        return None

    async def on_execute(self):
        refusal = await self._meter()
        if refusal is not None:
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                raise refusal  # Strawberry turns it into the subscription's only result
            # A result set before execution makes Strawberry skip it: nothing runs.
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield

    async def _meter(self) -> GraphQLError | None:
        ec = self.execution_context
        context = ec.context
        settings = getattr(context, "settings", None)
        cost = self.cost  # checked in on_validate, before anything else walked the document
        if settings is None or cost is None:
            return None
        if ec.operation_type is OperationType.SUBSCRIPTION:
            # A subscription pays its cost to start and again for every event it delivers.
            context.event_cost = cost.points
        return await _charge(context, cost.points, ec.operation_name)


async def _charge(context: Any, points: int, operation: str | None) -> GraphQLError | None:
    budget = _budget_of(context)
    if budget is None:
        return None
    status = await budget.charge(caller_key(context), points)
    context.rate_limit = status
    _set_headers(context, status)
    if getattr(context, "token", None) is not None:
        log_call(context.token, operation, points, datetime.now(UTC))  # written in batches
    if status.allowed:
        return None
    metrics.RATE_LIMIT_REFUSALS.labels(caller_kind(context)).inc()
    return GraphQLError(
        f"Rate limit exceeded: this costs {points} points, {status.remaining} of your "
        f"{status.limit} points remain until {_iso(status.reset_at)}.",
        extensions={
            "code": RATE_LIMITED,
            "cost": points,
            "remaining": status.remaining,
            "limit": status.limit,
            "resetAt": _iso(status.reset_at),
        },
    )


async def charge_event(context: Any, operation: str) -> None:
    """Charges a subscription event to the subscriber's budget; raises RATE_LIMITED when it is spent."""
    error = await _charge(context, getattr(context, "event_cost", 1), operation)
    if error is not None:
        raise error


# --- the rateLimit field -------------------------------------------------------------------


@strawberry.type(description="The API budget of the caller (a token, a member of staff, or an IP address).")
class RateLimit:
    cost: int = strawberry.field(description="Points this request costs (0 for a request asking only rateLimit).")
    limit: int = strawberry.field(description="Points per window (an hour by default).")
    remaining: int = strawberry.field(description="Points left in the window after this request.")
    reset_at: datetime = strawberry.field(description="When the window ends and the budget is whole again.")


@strawberry.type
class LimitsQuery:
    @strawberry.field(
        description="The cost of this request and the budget left after it; reading it costs nothing. "
        "Null when the request is not metered."
    )
    def rate_limit(self, info: strawberry.Info) -> RateLimit | None:
        status: RateLimitStatus | None = getattr(info.context, "rate_limit", None)
        if status is None:
            return None
        return RateLimit(
            cost=status.cost,
            limit=status.limit,
            remaining=status.remaining,
            reset_at=datetime.fromtimestamp(status.reset_at, UTC),
        )


# --- errors --------------------------------------------------------------------------------

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def strip_suggestions(error: GraphQLError) -> None:
    error.message = _SUGGESTION.sub("", error.message)


def new_error_id() -> str:
    return secrets.token_hex(4)


def _outcome(result: Any) -> tuple[str, str | None]:
    """What became of an operation, for logs and metrics, and the error id to look up if any."""
    errors = getattr(result, "errors", None) or []
    by_code = {(error.extensions or {}).get("code"): error for error in errors}
    for code, outcome in (
        (SERVICE_UNAVAILABLE, "unavailable"),
        (INTERNAL_SERVER_ERROR, "failed"),
        (RATE_LIMITED, "rate_limited"),
        (MAX_COST_EXCEEDED, "rejected"),
    ):
        if code in by_code:
            return outcome, (by_code[code].extensions or {}).get("errorId")
    if any(error.path is None for error in errors):
        return "rejected", None  # the document did not parse or validate
    return ("error" if errors else "ok"), None


def _reason(exc: BaseException) -> str:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return f"{type(exc).__name__}: {exc}"


def log_unavailable(exc: BaseException) -> str:
    """Logs that the database cannot be reached in one line (a traceback per request would bury
    the logs during an outage); returns the error id the client gets."""
    error_id = new_error_id()
    error_log.error("Database unavailable [error id %s]: %s", error_id, _reason(exc))
    return error_id


def unavailable_error(error_id: str) -> GraphQLError:
    return GraphQLError(
        "The database is unavailable; try again shortly.",
        extensions={"code": SERVICE_UNAVAILABLE, "errorId": error_id},
    )


def log_unexpected(error: GraphQLError) -> str | None:
    """Logs an unexpected error with its traceback under a new id, kept on the error; returns the id.

    An unreachable database is no bug: MaskErrorsWithId logs it once per request, without traceback.
    """
    if db.is_unavailable(error.original_error):
        return None
    error_id = getattr(error, "yimi_error_id", None)
    if error_id is None:
        error_id = new_error_id()
        error.yimi_error_id = error_id  # type: ignore[attr-defined]
        error_log.error(
            "Unexpected error [error id %s] at %s: %s",
            error_id,
            ".".join(map(str, error.path or ())),
            error.message,
            exc_info=error.original_error,
        )
    return error_id


class MaskErrorsWithId(MaskErrors):
    """The client sees "Unexpected error." and ``extensions.errorId``; the log has the id and the traceback.

    Built per operation (the schema gets a factory), so ``unavailable_id`` belongs to one request.
    """

    unavailable_id: str | None = None

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if db.is_unavailable(error.original_error):
            assert error.original_error is not None
            self.unavailable_id = self.unavailable_id or log_unavailable(error.original_error)
            return unavailable_error(self.unavailable_id)
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": INTERNAL_SERVER_ERROR, "errorId": log_unexpected(error)},
        )

    def on_operation(self):
        yield from super().on_operation()
        result = self.execution_context.result
        if self.unavailable_id is None or result is None:
            return
        # Partial data from a database that stopped answering mid-request would be misleading:
        # the whole answer is "try again", as it is when the caller's session cannot be read.
        result.data = None
        result.errors = [unavailable_error(self.unavailable_id)]
        response = getattr(self.execution_context.context, "response", None)
        if isinstance(response, Response):  # not a WebSocket
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
