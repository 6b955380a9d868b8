"""Bulk inserts for large demo data: COPY on PostgreSQL, executemany on SQLite; no ORM objects.

``Table.of(model, columns)`` fixes the column order once (every column of the model must either be
given or have a constant default, so that a column added to a model later fails here loudly rather
than being left empty), then ``await insert(conn, table, rows)`` writes tuples in that order.

On SQLite, the data-version triggers (migration 0010: one UPDATE per inserted row) and the enterprise
change log's (migration 0015: a row per row) are set aside while loading and put back, followed by a
single bump of the version and one "any enterprise" entry in the log, in the same transaction: both say
what they would have, once rather than a million times.

The secondary (non-unique) indexes of the big tables are set aside too and rebuilt once the rows are
in, in the same transaction: building an index from sorted rows is several times faster than keeping
it up to date row by row, and the primary keys, unique constraints and foreign keys stay checked
throughout.

Statements go through ``execute_query``, never ``execute_script``: Python's sqlite3 ``executescript``
commits the open transaction first, which would end the load's transaction half-way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import JSONField
from tortoise.models import Model

# The SQLite triggers set aside while loading (by name prefix), and what stands for all they would have
# done, run once when they are back (in this order).
VERSION_TRIGGERS = {
    "data_version_": "UPDATE data_version SET version = version + 1 WHERE id = 1",
    "enterprise_change_": "INSERT INTO enterprise_change (version, enterprise_id) SELECT version, NULL FROM data_version",  # noqa: E501
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # given by the caller, in this order
    defaults: tuple[tuple[str, Any], ...]  # the model's other columns and the constant each gets

    @classmethod
    def of(cls, model: type[Model], columns: Sequence[str]) -> Table:
        projection = model._meta.fields_db_projection  # field name -> column
        by_column = {column: name for name, column in projection.items()}
        unknown = [c for c in columns if c not in by_column]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {', '.join(unknown)}")
        defaults = []
        for column, name in by_column.items():
            if column in columns:
                continue
            field = model._meta.fields_map[name]
            if field.pk and field.generated:
                continue  # the database numbers the rows
            default = field.default
            if default is not None and not callable(default):
                defaults.append((column, default.value if isinstance(default, Enum) else default))
            elif field.null:
                defaults.append((column, None))
            else:
                raise ValueError(f"the demo loader does not fill {model.__name__}.{name} and it has no default")
        return cls(model._meta.db_table, tuple(columns), tuple(defaults))

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + tuple(c for c, _ in self.defaults)

    def complete(self, rows: Iterable[tuple]) -> list[tuple]:
        if not self.defaults:
            return rows if isinstance(rows, list) else list(rows)
        extra = tuple(v for _, v in self.defaults)
        return [row + extra for row in rows]


def dict_rows(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> tuple[Table, list[tuple]]:
    """The generator's row dicts (field names, ``<fk>_id``) as a Table and tuples with database values:
    enum members as their values, JSON fields encoded as Tortoise encodes them."""
    if not rows:
        raise ValueError(f"no {model.__name__} rows")
    names = list(rows[0])
    table = Table.of(model, [model._meta.fields_db_projection[n] for n in names])
    converters: list[Callable[[Any], Any]] = []
    for name in names:
        field = model._meta.fields_map[name]
        if isinstance(field, JSONField):
            converters.append(functools.partial(field.to_db_value, instance=model))
        else:
            converters.append(_plain)
    return table, [tuple(convert(r[n]) for convert, n in zip(converters, names, strict=True)) for r in rows]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


async def insert(conn: BaseDBAsyncClient, table: Table, rows: Iterable[tuple]) -> int:
    """Writes ``rows`` (tuples in ``table.columns`` order) through ``conn``; returns how many."""
    values = table.complete(rows)
    if not values:
        return 0
    columns = table.all_columns
    if _postgres(conn):
        async with conn.acquire_connection() as connection:
            await connection.copy_records_to_table(table.name, records=values, columns=list(columns))
    else:
        marks = ", ".join("?" * len(columns))
        names = ", ".join(f'"{c}"' for c in columns)
        # sqlite3 takes any sequence of parameters: tuples need no copying into lists.
        await conn.execute_many(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)  # type: ignore[arg-type]
    return len(values)


async def count(conn: BaseDBAsyncClient, table: str) -> int:
    rows = await conn.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{table}"')
    return int(rows[0]["n"])


async def set_aside_version_triggers(conn: BaseDBAsyncClient) -> list[str]:
    """SQLite: drops the version-bumping triggers and returns the SQL that recreates them (see
    ``restore_version_triggers``). PostgreSQL's fire once per statement: they stay."""
    if _postgres(conn):
        return []
    rows = await conn.execute_query_dict("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    prefixes = tuple(VERSION_TRIGGERS)
    kept = [r for r in rows if r["name"].startswith(prefixes)]
    for r in kept:
        await conn.execute_query(f'DROP TRIGGER "{r["name"]}"')
    return [r["sql"] for r in kept]


async def restore_version_triggers(conn: BaseDBAsyncClient, statements: Sequence[str]) -> None:
    """Recreates the triggers ``set_aside_version_triggers`` dropped, then does once what they stand for."""
    for sql in statements:
        await conn.execute_query(sql)
    for prefix, once in VERSION_TRIGGERS.items():
        if any(f"TRIGGER {prefix}" in sql or f'TRIGGER "{prefix}' in sql for sql in statements):
            await conn.execute_query(once)


async def set_aside_indexes(conn: BaseDBAsyncClient, tables: Sequence[str]) -> list[str]:
    """Drops the non-unique indexes of ``tables`` and returns the SQL that recreates them."""
    names = ", ".join(f"'{t}'" for t in tables)
    if _postgres(conn):
        rows = await conn.execute_query_dict(
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes "
            f"WHERE schemaname = current_schema() AND tablename IN ({names}) ORDER BY indexname"
        )
    else:
        rows = await conn.execute_query_dict(
            "SELECT name, sql FROM sqlite_master "
            f"WHERE type = 'index' AND tbl_name IN ({names}) AND sql IS NOT NULL ORDER BY name"
        )
    kept = [r for r in rows if not r["sql"].upper().startswith("CREATE UNIQUE")]
    for r in kept:
        await conn.execute_query(f'DROP INDEX "{r["name"]}"')
    return [r["sql"] for r in kept]


async def rebuild_indexes(conn: BaseDBAsyncClient, statements: Sequence[str], advance=None) -> None:
    if _postgres(conn) and statements:
        await conn.execute_query("SET LOCAL maintenance_work_mem = '256MB'")
    for sql in statements:
        await conn.execute_query(sql)
        if advance:
            advance(1)


async def sqlite_cache_size(conn: BaseDBAsyncClient, value: int | None = None) -> int | None:
    """SQLite: this connection's ``PRAGMA cache_size`` (negative: KiB; positive: pages), set to
    ``value`` when given; the setting before. None on PostgreSQL."""
    if _postgres(conn):
        return None
    rows = await conn.execute_query_dict("PRAGMA cache_size")
    before = int(next(iter(rows[0].values())))
    if value is not None:
        await conn.execute_query(f"PRAGMA cache_size = {int(value)}")
    return before
