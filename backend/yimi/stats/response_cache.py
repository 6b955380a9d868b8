"""Whole GraphQL answers of public statistics, cached: a crowd of anonymous readers costs next to nothing.

An operation whose root fields are only ``statistics``, ``statisticsYears`` and ``__typename`` (a query,
each a plain field: no fragment at the root) has the same answer for every caller: the figures are the
public's view for everyone (every audience has ``Grant.STATISTICS`` and no field of ``IssueStatistics``,
``StatisticsRow`` or ``PublicCount`` reads the caller). Its answer is kept, keyed by the document (a
hash), the operation name, the variables (canonical JSON), the settings the figures depend on (time
zone, threshold) and the validity token of ``yimi.stats.cache`` (the data version, which every write
the figures read moves through database triggers, and that cache's generation). An answer also stops
holding at the earliest limit of the entries it was built from (an open issue's deadline passing, a
month beginning, ``MAX_AGE_SECONDS``) and at the next new year in the county (``statistics`` without
``year`` means this year).

``PublicResponseCache`` is a schema extension registered after ``RequestLimits``: its ``on_execute``
runs inside the limits' one, so cost and budget are checked and charged, and the rate-limit headers
set, on a cached answer exactly as on a computed one; a refused request keeps its refusal. A cached
answer is set as the execution result before execution, which Strawberry then skips: a hit costs the
one primary-key query of the data version. Only answers without errors are kept, at most
``MAX_ENTRIES`` of them and ``MAX_WEIGHT`` values in all, least recently used first out, so that
endless distinct documents cannot grow memory without bound.

Parsing and validating the document cost more than the rest of a hit (a full ``statistics`` document:
about 2 and 4 ms), so such a document, once parsed and validated, is kept too (``MAX_DOCUMENTS`` of at
most ``MAX_DOCUMENT_CHARS`` characters, with the parse options and the validation rules it passed:
anonymous callers in production validate with introspection off) and reused as Strawberry's
``ParserCache`` and ``ValidationCache`` do. The cost check of ``RequestLimits`` still walks it.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from strawberry.extensions import SchemaExtension

from graphql import DocumentNode, FieldNode, OperationDefinitionNode, OperationType
from graphql import ExecutionResult as GraphQLExecutionResult
from yimi.accounts.read_rules import Grant
from yimi.stats.cache import public_statistics, tracking

PUBLIC_FIELDS = frozenset({"statistics", "statisticsYears", "__typename"})
MAX_ENTRIES = 256
# Scalar values (leaves) over all entries: a full `statistics` answer has about 1,000.
MAX_WEIGHT = 200_000
# A parsed document takes about 90 bytes per character (a full `statistics` document: 1,078).
MAX_DOCUMENTS = 64
MAX_DOCUMENT_CHARS = 4096

Key = tuple[bytes, int, int]
DocumentKey = tuple[str, frozenset[tuple[str, object]]]


@dataclass(frozen=True)
class Cached:
    data: dict[str, Any]
    until: datetime | None  # wall clock, compared with the request's `now`
    stale_after: float  # monotonic
    weight: int

    def fresh(self, now: datetime) -> bool:
        return (self.until is None or now < self.until) and time.monotonic() < self.stale_after


def weight(value: Any) -> int:
    """The number of scalar values in an answer: what its memory grows with."""
    if isinstance(value, dict):
        return 1 + sum(weight(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(weight(v) for v in value)
    return 1


class ResponseCache:
    """Least recently used first out, bounded in entries and in total weight."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_weight: int = MAX_WEIGHT) -> None:
        self.max_entries = max_entries
        self.max_weight = max_weight
        self._entries: OrderedDict[Key, Cached] = OrderedDict()
        self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_weight(self) -> int:
        return self._weight

    def clear(self) -> None:
        self._entries.clear()
        self._weight = 0

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
        if cached.weight > self.max_weight:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = cached
        self._weight += cached.weight
        while len(self._entries) > self.max_entries or self._weight > self.max_weight:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Key) -> None:
        self._weight -= self._entries.pop(key).weight


response_cache = ResponseCache()


@dataclass
class KnownDocument:
    document: DocumentNode
    valid_with: set[tuple[Any, ...]]  # validation rule sets it passed


class Documents:
    """Public documents already parsed and validated, least recently used first out."""

    def __init__(self, max_entries: int = MAX_DOCUMENTS) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[DocumentKey, KnownDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def get(self, key: DocumentKey) -> KnownDocument | None:
        known = self._entries.get(key)
        if known is not None:
            self._entries.move_to_end(key)
        return known

    def validated(self, key: DocumentKey, document: DocumentNode, rules: tuple[Any, ...]) -> None:
        known = self._entries.get(key)
        if known is None or known.document is not document:
            known = self._entries[key] = KnownDocument(document, set())
        known.valid_with.add(rules)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


documents = Documents()


def _document_key(query: str | None, parse_options: Mapping[str, object]) -> DocumentKey | None:
    if not query or len(query) > MAX_DOCUMENT_CHARS:
        return None
    try:
        options = frozenset(parse_options.items())
        hash(options)
    except TypeError:
        return None
    return query, options


def public_operation(document: Any, operation_name: str | None) -> bool:
    """A query whose root selections are only plain fields among ``PUBLIC_FIELDS``."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operation = next((op for op in operations if op.name and op.name.value == operation_name), None)
    else:
        operation = operations[0] if len(operations) == 1 else None
    if operation is None or operation.operation is not OperationType.QUERY:
        return False
    return all(
        isinstance(selection, FieldNode) and selection.name.value in PUBLIC_FIELDS
        for selection in operation.selection_set.selections
    )


def _next_year(now: datetime, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    return datetime(now.astimezone(zone).year + 1, 1, 1, tzinfo=zone)


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


class PublicResponseCache(SchemaExtension):
    """Serves a public statistics operation's answer from ``response_cache`` (see the module)."""

    _document_key: DocumentKey | None = None

    def on_parse(self):
        ec = self.execution_context
        if ec.graphql_document is None:
            self._document_key = _document_key(ec.query, ec.parse_options)
            known = documents.get(self._document_key) if self._document_key is not None else None
            if known is not None:
                ec.graphql_document = known.document  # Strawberry then does not parse
        yield

    def on_validate(self):
        ec = self.execution_context
        key, document, rules = self._document_key, ec.graphql_document, tuple(ec.validation_rules)
        if key is None or document is None:
            yield
            return
        known = documents.get(key)
        if (
            ec.pre_execution_errors is None  # not refused by RequestLimits
            and known is not None
            and known.document is document
            and rules in known.valid_with
        ):
            ec.pre_execution_errors = []  # validated before with these rules: Strawberry skips validation
            yield
            return
        yield
        if ec.pre_execution_errors == [] and public_operation(document, ec.operation_name):
            documents.validated(key, document, rules)

    async def on_execute(self):
        ec = self.execution_context
        context = ec.context
        settings = getattr(context, "settings", None)
        access = getattr(context, "access", None)
        if (
            ec.result is not None  # refused (RequestLimits): keep the refusal
            or settings is None
            or access is None
            or Grant.STATISTICS not in access.grants
            or ec.query is None
            or ec.graphql_document is None
            or not public_operation(ec.graphql_document, ec.operation_name)
        ):
            yield
            return
        now: datetime = getattr(context, "now", None) or datetime.now(UTC)
        version, generation = await public_statistics.validity_token()
        variables = json.dumps(ec.variables or {}, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(
            "\0".join(
                (ec.query, ec.operation_name or "", variables, settings.timezone, str(settings.public_min_count))
            ).encode()
        ).digest()
        key: Key = (digest, version, generation)
        cached = response_cache.get(key, now)
        if cached is not None:
            # A result set before execution makes Strawberry skip it: no resolver runs.
            ec.result = GraphQLExecutionResult(data=cached.data)
            yield
            return
        with tracking() as used:
            yield
        result = ec.result
        if not isinstance(result, GraphQLExecutionResult) or result.errors or result.data is None:
            return  # errors are never cached
        if not math.isfinite(used.stale_after):
            return  # no figures read (only __typename): nothing worth keeping
        response_cache.put(
            key,
            Cached(
                data=result.data,
                until=_earliest(used.until, _next_year(now, settings.timezone)),
                stale_after=used.stale_after,
                weight=weight(result.data),
            ),
        )
