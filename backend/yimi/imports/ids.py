"""Primary keys for rows inserted in bulk, known before the insert so that children can point at them."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model


class IdBlock:
    """Ids for new rows of ``model``. PostgreSQL: taken from the table's sequence (safe beside other
    writers). SQLite: counted on from the highest id, which is safe because the import's
    transaction holds the database's write lock from its start (BEGIN IMMEDIATE, yimi.db)."""

    def __init__(self, model: type[Model]):
        self.model = model
        self.last: int | None = None

    async def take(self, conn: BaseDBAsyncClient, count: int) -> list[int]:
        if count == 0:
            return []
        table = self.model._meta.db_table
        if conn.capabilities.dialect == "postgres":
            _, rows = await conn.execute_query(
                f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) AS id FROM generate_series(1, {count})"
            )
            return [int(r["id"]) for r in rows]
        if self.last is None:
            _, rows = await conn.execute_query(f'SELECT COALESCE(MAX(id), 0) AS id FROM "{table}"')
            self.last = int(rows[0]["id"])
        first = self.last + 1
        self.last += count
        return list(range(first, self.last + 1))
