"""Run as ``python -m tests.ops.begin_failure`` with ``YIMI_DATABASE_URL`` set: makes one transaction's
BEGIN fail (as on a connection the server has just closed, or a SQLite lock held past the busy
timeout), then checks that the process still queries, in that task and in others, and holds no
connection. Prints "ok" or exits 1 saying what went wrong."""

from __future__ import annotations

import asyncio
import sys

from tortoise import connections
from tortoise.transactions import in_transaction

from yimi import db

TIMEOUT = 5.0


async def transaction() -> int:
    async with in_transaction() as conn:
        _, rows = await conn.execute_query("SELECT 1 AS one")
        return rows[0]["one"]


async def query() -> int:
    _, rows = await connections.get("default").execute_query("SELECT 1 AS one")
    return rows[0]["one"]


async def main() -> str | None:
    await db.init_db()
    try:
        context = connections.get("default")._in_transaction()
        wrapper = type(getattr(context, "client", None) or context.connection)
        begin = wrapper.begin
        failures = [OSError("connection closed by the server (test)")]

        async def failing_begin(self):
            if failures:
                raise failures.pop()
            await begin(self)

        wrapper.begin = failing_begin

        async def fails_then_queries() -> int:
            try:
                await transaction()
            except OSError:
                return await query()  # the same task, after the failure
            raise AssertionError("BEGIN did not fail")

        try:
            assert await asyncio.wait_for(asyncio.create_task(fails_then_queries()), TIMEOUT) == 1
            for work in (transaction, query) * 3:  # other tasks, as other requests
                assert await asyncio.wait_for(asyncio.create_task(work()), TIMEOUT) == 1
        except TimeoutError:
            return "a query after the failed BEGIN waited forever"
        except Exception as error:
            return f"a query after the failed BEGIN failed: {type(error).__name__}: {error}"
        _, in_use, _ = db.pool_connections()
        if in_use:
            return f"{in_use} connection(s) still in use"
        return None
    finally:
        await db.close_db()


if __name__ == "__main__":
    problem = asyncio.run(main())
    print(problem or "ok")
    sys.exit(1 if problem else 0)
