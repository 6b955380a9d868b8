"""Whole answers of read operations, cached: a dashboard asking the same queries costs next to nothing.

``ResponseCaching`` (a schema extension) keeps the answer of every query that succeeded without
errors, keyed by

* the document (a hash of its text), the operation name and the variables (canonical JSON);
* the caller's scope: ``public``, ``staff:<id>:<session version>`` or ``token:<id>`` — answers depend
  on the read rules and on viewer-specific fields (``me``), so two callers never share one, except
  operations made only of the public figures (``statistics``, ``statisticsYears``, ``__typename``),
  whose answer is the same for every caller with ``Grant.STATISTICS`` (every audience has it);
* the data version (``yimi.common.data_version``), which triggers bump in the transaction of every
  write to a table the API reads, so that a write made by any process, the CLI or an import is seen
  at once; it is read before the answer is computed, so an answer is never older than its key;
* the generation of the public figures' cache (``yimi.stats.cache``).

Answers also change without any write, as time passes: warning colours, overdue counts and flags,
``needsEscalation``, "this year". An entry holds only until the first value it shows could change by
itself, as the values said while it was computed (``yimi.common.clock``):

* values of single issues (a page of issues with their colours) hold until the earliest yellow,
  orange or deadline instant among those issues;
* values over many issues or dates (overdue counts, colour filters, summaries, the map) hold until
  the next instant any answer could change (``ClockLimit``): the earliest such instant of any open
  issue (the stored thresholds of ``yimi.issues.warning``: every clock-dependent value is derived from
  them), and the next midnight in the county (days, months and years begin then). That instant is
  worked out once per data version (``yimi.common.figures.next_colour_change``: one query of the open
  issues) and again only once it has passed;
* an answer that read nothing of the clock holds as long as the data version.
Entries built from the public figures also stop at the limits those figures carry (the next
scheduled release, and how long the releases in memory may be served: ``yimi.stats.cache``), and
every entry at ``MAX_AGE_SECONDS`` (a database restored under a running server can bring an old
version number back).

Never cached: mutations and subscriptions, answers with errors, operations that read ``rateLimit``
(the caller's budget), WebSocket operations. ``ResponseCaching`` runs inside ``RequestLimits``: cost
and budget are checked and charged, and the rate-limit headers set, on a cached answer exactly as on
a computed one, and a refused request keeps its refusal. A hit sets the execution result before
execution, which Strawberry then skips: it costs the one primary-key query of the data version.
Identical requests that arrive while an answer is being computed wait for it instead of computing it
again (``ResponseCache.join``); if it cannot serve them (an error, or it was computed for an earlier
instant than theirs), each computes its own.

Each app (each server process) has its own ``ResponseCache`` (``app.state.response_cache``), bounded
in entries and in the memory of the answers (``YIMI_RESPONSE_CACHE_ENTRIES``, 0 turns it off, and
``YIMI_RESPONSE_CACHE_MEGABYTES``, estimated from each answer's JSON), least recently used first
out. The version is in the database, so answers stay correct across processes. With Redis
(``YIMI_REDIS_URL``) the processes also share their answers (``yimi.graphql.shared_answers``): a miss
here asks Redis before computing.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from yimi.accounts.read_rules import Grant
from yimi.common import clock, data_version
from yimi.common.figures import next_colour_change
from yimi.graphql.cost import find_operation
from yimi.graphql.documents import known_document, variables_key
from yimi.graphql.encoding import encoded
from yimi.stats.cache import public_statistics

MAX_ENTRIES = 2048
MAX_BYTES = 128 * 1024 * 1024
# An answer is kept as its JSON (what a hit sends; yimi.graphql.encoding) and, once a client has asked
# for it, its gzip: at most a fifth more for the large answers that are compressed.
MEMORY_PER_JSON_BYTE = 1.2
MAX_AGE_SECONDS = data_version.MAX_AGE_SECONDS
# Root fields whose answer is the same for every caller allowed to read them (yimi.stats).
PUBLIC_FIGURES = frozenset({"statistics", "statisticsYears", "__typename"})
# Root fields whose answer is the caller's state outside the database: never cached.
UNCACHED_FIELDS = frozenset({"rateLimit"})

Key = tuple[bytes, int, int]


@dataclass(frozen=True)
class Cached:
    data: dict[str, Any]
    computed_at: datetime  # the request time it was computed for
    until: datetime | None  # wall clock, compared with the request's `now`; None: the clock changes nothing
    stale_after: float  # monotonic
    size: int  # bytes of memory, estimated from its JSON (MEMORY_PER_JSON_BYTE)

    def fresh(self, now: datetime) -> bool:
        return (
            self.computed_at <= now and (self.until is None or now < self.until) and time.monotonic() < self.stale_after
        )


class ClockLimit:
    """The next instant at which an answer could change with no write: see the module."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._timezone = ""
        self._since: datetime | None = None
        self._next: datetime | None = None
        self._lock = asyncio.Lock()

    def _known(self, version: int, now: datetime, timezone: str) -> datetime | None:
        if (
            self._version == version
            and self._timezone == timezone
            and self._since is not None
            and self._next is not None
            and self._since <= now < self._next
        ):
            return self._next
        return None

    async def next_change(self, version: int, now: datetime, timezone: str) -> datetime:
        if (known := self._known(version, now, timezone)) is not None:
            return known
        async with self._lock:  # one look-up for the requests that arrive meanwhile
            if (known := self._known(version, now, timezone)) is not None:
                return known
            instants = [next_midnight(now, timezone)]
            if (change := await next_colour_change(now)) is not None:
                instants.append(change)
            self._version, self._timezone, self._since, self._next = version, timezone, now, min(instants)
            return self._next


def next_midnight(now: datetime, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
    return midnight.astimezone(UTC)


class ResponseCache:
    """Least recently used first out, bounded in entries and in the answers' (estimated) memory."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = ClockLimit()
        self._entries: OrderedDict[Key, Cached] = OrderedDict()
        self._bytes = 0
        # The answers being computed, for the identical requests that arrive meanwhile.
        self._flights: dict[Key, asyncio.Future[Cached | None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def get(self, key: Key, now: datetime) -> Cached | None:
        cached = self._entries.get(key)
        if cached is None:
            return None
        if not cached.fresh(now):
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return cached

    def put(self, key: Key, cached: Cached) -> None:
        if cached.size > self.max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = cached
        self._bytes += cached.size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Key) -> None:
        self._bytes -= self._entries.pop(key).size

    async def join(self, key: Key, now: datetime) -> tuple[Cached | None, asyncio.Future[Cached | None] | None]:
        """The answer of the identical request being computed, once it is, if it holds at ``now``; else None,
        with the flight this request now leads (None if another one led and had no answer for ``now``: this
        request computes alone). Under load, the requests that arrived while a province's map layer was being
        built each encoded and gzipped 17 MB of their own: 100 MB more memory and as many compressions."""
        flight = self._flights.get(key)
        loop = asyncio.get_running_loop()
        if flight is None or flight.get_loop() is not loop:  # another event loop's (tests): not awaitable here
            self._flights[key] = flight = loop.create_future()
            return None, flight
        cached = await asyncio.shield(flight)  # a client going away does not end the others' wait
        return (cached if cached is not None and cached.fresh(now) else None), None

    def land(self, key: Key, flight: asyncio.Future[Cached | None], cached: Cached | None) -> None:
        """Ends the flight this request led: its answer (None: none to share) goes to those who wait."""
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.done():
            flight.set_result(cached)


def cache_of(context: Any) -> ResponseCache | None:
    """The app's cache; None outside HTTP requests (WebSocket operations) and when it is turned off."""
    request = getattr(context, "request", None)
    response = getattr(context, "response", None)
    if request is None or not hasattr(response, "status_code"):
        return None
    state = getattr(getattr(request, "app", None), "state", None)
    cache = getattr(state, "response_cache", None)
    return cache if isinstance(cache, ResponseCache) and cache.max_entries > 0 else None


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> set[str]:
    """The root field names an operation selects, through fragments (each looked at once)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: set[str] = set()
    seen: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                if (fragment := fragments.get(selection.name.value)) is not None:
                    pending.append(fragment.selection_set)
    return names


def scope_of(context: Any) -> str:
    """Whose answer it is: answers depend on the caller's read rules and on who asks (``me``)."""
    token = getattr(context, "token", None)
    if token is not None:
        return f"token:{token.id}"
    user = getattr(context, "user", None)
    if user is not None:
        return f"staff:{user.id}:{user.session_version}"
    return "public"


def _fields_of(execution_context: Any) -> set[str] | None:
    """The operation's root fields, worked out once per document and operation; None when unknown."""
    document = execution_context.graphql_document
    known = known_document(execution_context)
    memo_key = ("root fields", execution_context.operation_name)
    if known is not None and memo_key in known.memo:
        return known.memo[memo_key]
    operation = find_operation(document, execution_context.operation_name)
    fields = None if operation is None else root_fields(document, operation)
    if known is not None:
        known.remember(memo_key, fields)
    return fields


class ResponseCaching(SchemaExtension):
    """Serves a read operation's answer from the app's ``ResponseCache`` (see the module)."""

    async def on_execute(self):
        ec = self.execution_context
        context = ec.context
        settings = getattr(context, "settings", None)
        access = getattr(context, "access", None)
        cache = cache_of(context)
        fields = (
            _fields_of(ec) if ec.result is None and ec.graphql_document is not None and ec.query is not None else None
        )
        if (
            fields is None  # refused (RequestLimits): keep the refusal
            or cache is None
            or settings is None
            or access is None
            or ec.operation_type is not OperationType.QUERY
            or fields & UNCACHED_FIELDS
        ):
            yield
            return
        now: datetime = getattr(context, "at", None) or datetime.now(UTC)
        scope = "*" if fields <= PUBLIC_FIGURES and Grant.STATISTICS in access.grants else scope_of(context)
        # The version first: the answer computed below is never older than the version it is kept under.
        # (yimi.app reads it as the request begins, before it looks the caller up.)
        version = getattr(context, "data_version", None)
        if version is None:
            try:
                version = await data_version.current()
            except Exception:  # the database does not answer: the resolvers will say so, as without a cache
                yield
                return
        digest = hashlib.sha256(
            "\0".join((ec.query or "", ec.operation_name or "", variables_key(ec), scope)).encode(
                errors="surrogatepass"
            )
        ).digest()
        key: Key = (digest, version, public_statistics.generation)
        cached = cache.get(key, now)
        flight = None
        if cached is None:
            cached, flight = await cache.join(key, now)
        answer: Cached | None = None  # what this request's flight lands with
        try:
            shared = getattr(context.request.app.state, "shared_answers", None)
            shared_key = None
            if cached is None and shared is not None:
                shared_key = await shared.key(*key)
                cached = await shared.get(shared_key, now)
                if cached is not None:
                    cache.put(key, cached)
                    answer = cached
            if cached is not None:
                # A result set before execution makes Strawberry skip it: no resolver runs.
                ec.result = GraphQLExecutionResult(data=cached.data)
                yield
                return
            with clock.reading() as read:
                yield
            answer = await self._kept(ec.result, read, cache, version, now, settings.timezone)
            if answer is not None:
                cache.put(key, answer)
                if shared is not None and shared_key is not None:
                    shared.put(shared_key, answer)
        finally:
            if flight is not None:
                cache.land(key, flight, answer)

    @staticmethod
    async def _kept(
        result: Any, read: clock.ClockReading, cache: ResponseCache, version: int, now: datetime, timezone: str
    ) -> Cached | None:
        """The answer to keep, with how long it holds (encoded: the response then sends this JSON as it is,
        yimi.graphql.encoding); None when it is not kept: errors, or what cannot say how long it holds."""
        if not isinstance(result, GraphQLExecutionResult) or result.errors or result.data is None:
            return None
        until = read.until
        if read.every_issue:
            try:
                change = await cache.clock.next_change(version, now, timezone)
            except Exception:  # the database stopped answering: the answer goes out, uncached
                return None
            until = change if until is None else min(until, change)
        data = encoded(result.data)
        if data is None:
            return None
        result.data = data
        stale_after = min(read.stale_after, time.monotonic() + MAX_AGE_SECONDS)
        size = int(len(data.body) * MEMORY_PER_JSON_BYTE)
        return Cached(data=data, computed_at=now, until=until, stale_after=stale_after, size=size)
