"""Relay connections: opaque cursors, `first`/`after` limits, lazily counted totals.

Top-level lists page by keyset: a cursor holds the sort values and the id of the row it points at,
and the next page is "the rows after these values" in the list's order (ties broken by id), which
an index walks straight to, so page 500 costs what page 1 costs. An offset would make the
database step over every row before it. A cursor names the ordering it was made for: handed to
another ordering, it is refused rather than silently misread.

Short nested lists (an enterprise's issues) page by offset within what one query loads anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from yimi.common.errors import UserInputError

NodeT = TypeVar("NodeT")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_PREFIX = "cursor:"
_KEYSET = "keyset:"
NOT_A_CURSOR = "not a cursor returned by this API"


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode()


def _cursor_text(cursor: str, argument: str) -> str:
    try:
        return base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise UserInputError(argument, NOT_A_CURSOR) from None


def decode_cursor(cursor: str, argument: str = "after") -> int:
    text = _cursor_text(cursor, argument)
    try:
        if not text.startswith(_PREFIX):
            raise ValueError
        offset = int(text.removeprefix(_PREFIX))
        if not 0 <= offset < 2**31:
            raise ValueError
        return offset
    except ValueError:
        raise UserInputError(argument, NOT_A_CURSOR) from None


def page_size(first: int | None) -> int:
    limit = DEFAULT_PAGE_SIZE if first is None else first
    if limit < 0 or limit > MAX_PAGE_SIZE:
        raise UserInputError("first", f"must be between 0 and {MAX_PAGE_SIZE}, got {limit}")
    return limit


def page_window(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, limit) for a page; refuses sizes outside 0..MAX_PAGE_SIZE."""
    limit = page_size(first)
    offset = decode_cursor(after) + 1 if after else 0
    return offset, limit


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Total number of items matching the filter, across all pages.")
    async def total_count(self) -> int:
        return await self._count()

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def _connection(
    nodes: Sequence, cursors: Sequence[str], has_more: bool, has_previous: bool, count: Callable[[], Awaitable[int]]
) -> Connection:
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_more,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


def build_connection(
    items: Sequence, offset: int, limit: int, has_more: bool, count: Callable[[], Awaitable[int]]
) -> Connection:
    """``items`` is the page (at most ``limit``) from ``offset``; ``has_more`` says whether a row follows it."""
    cursors = [encode_cursor(offset + i) for i in range(len(items))]
    return _connection(items, cursors, has_more, offset > 0, count)


# -- keyset ---------------------------------------------------------------------------------------

_KINDS: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "datetime": (str,)}


@dataclass(frozen=True)
class SortKey:
    """One sort value: ``field`` names the column or annotation the queryset orders and filters by;
    ``attribute`` where a loaded row holds the value, when that is not ``field``; ``ascending``
    fixes its direction whatever the list's (None: the list's)."""

    field: str
    kind: str  # a key of _KINDS: how the value travels in a cursor
    attribute: str | None = None
    ascending: bool | None = None

    def descending(self, list_descending: bool) -> bool:
        return list_descending if self.ascending is None else not self.ascending

    def value(self, row: Any) -> Any:
        value = getattr(row, self.attribute or self.field)
        if self.kind == "datetime":
            return value.isoformat()
        return value.value if hasattr(value, "value") else value  # enums travel as their values

    def parse(self, value: Any) -> Any:
        if not isinstance(value, _KINDS[self.kind]) or isinstance(value, bool):
            raise ValueError
        if self.kind == "datetime":
            parsed = datetime.fromisoformat(str(value))
            if parsed.tzinfo is None:
                raise ValueError
            return parsed
        return value


@dataclass(frozen=True)
class Ordering:
    """A list's order: ``keys`` then the id, ascending or descending (a key may fix its own
    direction). ``name`` identifies it in cursors (the list and the order, e.g. ``issues.number.asc``)."""

    name: str
    keys: tuple[SortKey, ...]
    descending: bool = False

    def apply(self, qs: QuerySet) -> QuerySet:
        keys = [("-" if k.descending(self.descending) else "") + k.field for k in self.keys]
        return qs.order_by(*keys, f"{'-' if self.descending else ''}id")

    def cursor(self, row: Any) -> str:
        payload = json.dumps([self.name, [k.value(row) for k in self.keys], row.pk], separators=(",", ":"))
        return base64.b64encode(f"{_KEYSET}{payload}".encode()).decode()

    def after(self, cursor: str, argument: str = "after") -> Q:
        """The rows that come after the cursor's row, in this order."""
        text = _cursor_text(cursor, argument)
        try:
            if not text.startswith(_KEYSET):
                raise ValueError
            name, raw, pk = json.loads(text.removeprefix(_KEYSET))
            if not isinstance(name, str):
                raise ValueError
        except (ValueError, TypeError):
            raise UserInputError(argument, NOT_A_CURSOR) from None
        if name != self.name:
            raise UserInputError(
                argument, "a cursor of another list or order: page from the start again with this order"
            )
        try:
            if not isinstance(raw, list) or len(raw) != len(self.keys) or type(pk) is not int:
                raise ValueError
            values = [k.parse(v) for k, v in zip(self.keys, raw, strict=True)]
        except (ValueError, TypeError):
            raise UserInputError(argument, NOT_A_CURSOR) from None
        # (k1, k2, id) > (v1, v2, pk), spelt out (a key may sort the other way), with k1 >= v1
        # beside it: the bound an index range starts from, so that a deep page costs what page 1 does.
        last: dict[str, Any] = {f"id__{'lt' if self.descending else 'gt'}": pk}
        after = Q(**last)
        for key, value in reversed(list(zip(self.keys, values, strict=True))):
            op = "lt" if key.descending(self.descending) else "gt"
            after = Q(**{f"{key.field}__{op}": value}) | (Q(**{key.field: value}) & after)
        if self.keys:
            first, value = self.keys[0], values[0]
            after = Q(**{f"{first.field}__{'lte' if first.descending(self.descending) else 'gte'}": value}) & after
        return after


async def paginate(
    queryset: QuerySet, ordering: Ordering, first: int | None, after: str | None, convert: Callable[[Any], Any]
) -> Connection:
    """A page of ``queryset`` (filtered, not yet ordered) in ``ordering``: one SQL query for the page
    (limit + 1 to see whether more follow), one more only if totalCount is asked."""
    limit = page_size(first)
    page_qs = ordering.apply(queryset.filter(ordering.after(after)) if after else queryset)
    rows = await page_qs.limit(limit + 1) if limit else []
    page = rows[:limit]

    async def count() -> int:
        return await queryset.count()

    return _connection(
        [convert(r) for r in page], [ordering.cursor(r) for r in page], len(rows) > limit, after is not None, count
    )
