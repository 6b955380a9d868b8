"""Building blocks for the per-request DataLoaders of each domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.functions import Count
from tortoise.models import Model


def by_id(model: type[Model], only: Sequence[str] | None = None, rows: Callable[[], Any] | None = None) -> DataLoader:
    """Rows by primary key, one query per batch; a missing id gives None; ``only`` limits the columns.

    ``rows`` gives the queryset of the rows the caller may see (a row rule): others load as None.
    """

    async def load(ids: Sequence[int]) -> list[Model | None]:
        qs = (rows() if rows else model.all()).filter(id__in=list(set(ids)))
        found = {row.pk: row for row in await (qs.only(*only) if only else qs)}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def grouped(fetch: Callable[[list[Hashable]], Awaitable[Iterable[tuple[Hashable, Any]]]]) -> DataLoader:
    """Lists by key: ``fetch(keys)`` returns (key, item) pairs in the order wanted within a group."""

    async def load(keys: Sequence[Hashable]) -> list[list[Any]]:
        groups: dict[Hashable, list[Any]] = defaultdict(list)
        for key, item in await fetch(list(set(keys))):
            groups[key].append(item)
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def counted(queryset_for: Callable[[list[Hashable]], Any], key_field: str) -> DataLoader:
    """Counts by key with one GROUP BY query; ``queryset_for(keys)`` filters the rows to count."""

    async def load(keys: Sequence[Hashable]) -> list[int]:
        rows = await (
            queryset_for(list(set(keys))).annotate(n=Count("id")).group_by(key_field).values_list(key_field, "n")
        )
        counts = dict(rows)
        return [counts.get(k, 0) for k in keys]

    return DataLoader(load_fn=load)


def figure(model: type[Model], expression: Any) -> DataLoader:
    """A figure kept on write (a column outside the model, see yimi.common.figures) by primary key,
    one query per batch; 0 for a missing row."""

    async def load(ids: Sequence[int]) -> list[int]:
        rows = await model.filter(id__in=list(set(ids))).annotate(n=expression).values_list("id", "n")
        found = dict(rows)
        return [found.get(i, 0) for i in ids]

    return DataLoader(load_fn=load)


async def load_nodes(loader: DataLoader, node_ids: Iterable, convert: Callable[[Any], Any]) -> list[Any]:
    """Node objects for the primary keys behind global IDs, in order; None where no row exists."""
    rows = await loader.load_many([int(i) for i in node_ids])
    return [convert(row) if row else None for row in rows]
