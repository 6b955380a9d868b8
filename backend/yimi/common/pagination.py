"""Relay connections: opaque cursors, `first`/`after` limits, lazily counted totals."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from yimi.common.errors import UserInputError

NodeT = TypeVar("NodeT")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_PREFIX = "cursor:"


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str, argument: str = "after") -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith(_PREFIX):
            raise ValueError
        offset = int(text.removeprefix(_PREFIX))
        if not 0 <= offset < 2**31:
            raise ValueError
        return offset
    except (ValueError, UnicodeDecodeError):
        raise UserInputError(argument, "not a cursor returned by this API") from None


def page_window(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, limit) for a page; refuses sizes outside 0..MAX_PAGE_SIZE."""
    limit = DEFAULT_PAGE_SIZE if first is None else first
    if limit < 0 or limit > MAX_PAGE_SIZE:
        raise UserInputError("first", f"must be between 0 and {MAX_PAGE_SIZE}, got {limit}")
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


def build_connection(
    items: Sequence, offset: int, limit: int, has_more: bool, count: Callable[[], Awaitable[int]]
) -> Connection:
    """``items`` is the page (at most ``limit``); ``has_more`` says whether a row follows it."""
    edges = [Edge(cursor=encode_cursor(offset + i), node=item) for i, item in enumerate(items)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_more,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


async def paginate_queryset(queryset, first: int | None, after: str | None, convert) -> Connection:
    """One SQL query for the page (limit + 1 to see whether more follow), one more if totalCount is asked."""
    offset, limit = page_window(first, after)
    rows = await queryset.offset(offset).limit(limit + 1) if limit else []
    page = [convert(row) for row in rows[:limit]]

    async def count() -> int:
        return await queryset.count()

    return build_connection(page, offset, limit, len(rows) > limit, count)
