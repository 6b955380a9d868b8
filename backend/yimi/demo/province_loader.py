"""Loads the Henan province demo (``yimi demo --scale province``) into an empty database, in one
transaction: a failure leaves the database as it was.

    summary = await load_province(settings)                       # 100,000 enterprises, 1,000,000 issues
    summary = await load_province(settings, ProvinceConfig(n_enterprises=2_000, n_issues=5_000))

Townships, accounts, teams and enterprises are generated first (``yimi.demo.province``); issues
follow in chunks (``yimi.demo.province_issues``), made by worker processes while the previous chunk
is written. Rows go in by COPY (PostgreSQL) or executemany (SQLite), never one ORM object per row.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time as _time
from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from yimi.accounts.models import Department, Staff
from yimi.common.errors import ServiceError
from yimi.demo import bulk
from yimi.demo.loader import TABLES, _fix_sequences, _progress, delete_all, demo_config
from yimi.demo.province import ProvinceBase, ProvinceConfig, generate_province_base
from yimi.demo.province_issues import (
    EVENT_COLUMNS,
    ISSUE_COLUMNS,
    ORDER_COLUMNS,
    VISIT_COLUMNS,
    Chunk,
    ChunkRows,
    IssueNumbers,
    ProvinceIssueFactory,
)
from yimi.enterprises.models import Enterprise, Visit
from yimi.issues.models import DispatchOrder, Issue, IssueEvent
from yimi.settings import Settings, get_settings
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamMember
from yimi.townships.models import Township

# The tables whose non-unique indexes are rebuilt after the load rather than kept up to date.
BIG_MODELS = (Enterprise, Visit, Issue, DispatchOrder, IssueEvent)
# SQLite's page cache while loading (the default, 2 MB, spills to the WAL over and over).
SQLITE_CACHE_KIB = 256 * 1024
# A township of Henan's first county (郑州市中原区): there when the province demo is.
MARKER_TOWNSHIP = "410102001"


@dataclass(frozen=True)
class ProvinceSummary:
    loaded: bool  # False when the province demo was already there and nothing was written
    reset: bool
    today: date | None
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def message(self) -> str:
        if not self.loaded:
            return "The province demo is already loaded; nothing changed (`--reset` reloads it)."
        what = "Reloaded" if self.reset else "Loaded"
        return f"{what} the Henan province demo as of {self.today} in {self.seconds:.0f} s."

    def __str__(self) -> str:
        width = max((len(k) for k in self.counts), default=0)
        return "\n".join([self.message] + [f"  {k:<{width}}  {v:>9,}" for k, v in self.counts.items()])


def province_config(settings: Settings, **sizes: int) -> ProvinceConfig:
    """The default sizes (or ``sizes``: n_enterprises, n_issues, n_teams, seed), numbered and timed as
    the settings say."""
    return replace(ProvinceConfig(county=demo_config(settings)), **sizes)  # type: ignore[arg-type]


async def load_province(
    settings: Settings | None = None,
    config: ProvinceConfig | None = None,
    *,
    reset: bool = False,
    today: date | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> ProvinceSummary:
    """Loads the province demo into an empty database (``reset``: after deleting every row).

    Refuses (ServiceError) when the database holds other data. ``workers`` processes generate the
    issues (default: one per CPU; 0: in this process). Assumes Tortoise is initialised on a
    migrated database.
    """
    settings = settings or get_settings()
    config = config or province_config(settings)
    started = _time.perf_counter()
    if not reset:
        if await _present(None):
            return ProvinceSummary(False, False, None, _time.perf_counter() - started)
        await _refuse_unless_empty(None)
    today = today or datetime.now(ZoneInfo(settings.timezone)).date()
    with _progress(progress) as stage:
        # A minute of CPU or so for a full province: off the event loop, and before the write lock.
        base = await asyncio.to_thread(generate_province_base, config, stage)
        factory = await asyncio.to_thread(ProvinceIssueFactory, config, today, base)
        chunks = factory.plan_chunks()
        async with in_transaction() as conn:
            cache_size = await bulk.sqlite_cache_size(conn, -SQLITE_CACHE_KIB)
            try:
                triggers = await bulk.set_aside_version_triggers(conn)
                if reset:
                    await delete_all(conn, stage)
                else:
                    await _refuse_unless_empty(conn)  # someone else wrote meanwhile
                await _restart_numbering(conn)
                indexes = await bulk.set_aside_indexes(conn, [m._meta.db_table for m in BIG_MODELS])
                await _write_base(conn, base, stage)
                await _write_issues(conn, factory, chunks, stage, _workers(workers, config))
                await bulk.rebuild_indexes(conn, indexes, stage("Indexing", len(indexes)))
                await bulk.restore_version_triggers(conn, triggers)
                await _fix_sequences(conn)
                counts = {name: await bulk.count(conn, model._meta.db_table) for name, model in TABLES}
            finally:
                await bulk.sqlite_cache_size(conn, cache_size)
    await _analyze()
    return ProvinceSummary(True, reset, today, _time.perf_counter() - started, counts)


async def _present(conn: BaseDBAsyncClient | None) -> bool:
    return await Township.filter(code=MARKER_TOWNSHIP).using_db(conn).exists()


async def _refuse_unless_empty(conn: BaseDBAsyncClient | None) -> None:
    found = []
    for name, model in TABLES:
        n = await model.all().using_db(conn).count()
        if n:
            found.append(f"{name.replace('_', ' ')}: {n:,}")
    if found:
        raise ServiceError(
            "--scale",
            "CONFLICT",
            f"the database already holds data ({', '.join(found)}); the province demo loads into an empty "
            "database: add --reset to delete every row first",
        )


async def _restart_numbering(conn: BaseDBAsyncClient) -> None:
    """The database numbers dispatch orders and events: from 1, as in any empty database. (PostgreSQL's
    sequences, and SQLite's AUTOINCREMENT counters after a DELETE, would go on from where a deleted
    or rolled-back load left them, and the same seed would give other ids.)"""
    tables = [m._meta.db_table for m in (DispatchOrder, IssueEvent)]
    if conn.capabilities.dialect == "postgres":
        for table in tables:
            await conn.execute_query(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), 1, false)")
    else:
        names = ", ".join(f"'{t}'" for t in tables)
        await conn.execute_query(f"DELETE FROM sqlite_sequence WHERE name IN ({names})")


def _workers(workers: int | None, config: ProvinceConfig) -> int:
    if workers is not None:
        return max(0, workers)
    if config.n_issues <= 4 * config.chunk_issues:
        return 0  # a small province: not worth starting processes
    return min(4, os.cpu_count() or 1)


async def _write_base(conn: BaseDBAsyncClient, base: ProvinceBase, stage: Callable) -> None:
    tables = (
        (Township, base.townships),
        (Department, base.departments),
        (Staff, base.staff),
        (ServiceTeam, base.teams.teams),
        (TeamMember, base.teams.members),
        (TeamCoverage, base.teams.coverage),
        (Enterprise, base.enterprises),
    )
    advance = stage("Inserting townships … enterprises", sum(len(rows) for _, rows in tables))
    for model, rows in tables:
        table, values = bulk.dict_rows(model, rows)
        for start in range(0, len(values), 20_000):
            advance(await bulk.insert(conn, table, values[start : start + 20_000]))


# The factory the worker processes generate chunks with: set before they fork, so each inherits it.
_FACTORY: ProvinceIssueFactory | None = None


def _generate_chunk(chunk: Chunk) -> ChunkRows:
    assert _FACTORY is not None
    return _FACTORY.generate_chunk(chunk)


async def _chunks(
    factory: ProvinceIssueFactory, chunks: Sequence[Chunk], workers: int
) -> AsyncGenerator[ChunkRows, None]:
    """The chunks' rows in order; up to ``workers`` (at least one, a thread when 0) made ahead."""
    global _FACTORY
    loop = asyncio.get_running_loop()
    executor: Executor | None = None
    if workers:
        _FACTORY = factory
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))

    def submit(chunk: Chunk) -> asyncio.Future[ChunkRows]:
        if executor is None:
            return asyncio.ensure_future(asyncio.to_thread(factory.generate_chunk, chunk))
        return loop.run_in_executor(executor, _generate_chunk, chunk)

    # A chunk ahead per worker process, and one more being written: memory stays a few chunks. A
    # thread shares the factory with nobody only when it makes one chunk at a time.
    pending = [submit(c) for c in chunks[: workers + 1 if workers else 1]]
    following = len(pending)
    try:
        while pending:
            rows = await pending.pop(0)
            if following < len(chunks):
                pending.append(submit(chunks[following]))
                following += 1
            yield rows
    finally:
        for p in pending:
            p.cancel()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        _FACTORY = None


async def _write_issues(
    conn: BaseDBAsyncClient, factory: ProvinceIssueFactory, chunks: Sequence[Chunk], stage: Callable, workers: int
) -> None:
    tables = (
        bulk.Table.of(Visit, VISIT_COLUMNS),
        bulk.Table.of(Issue, ISSUE_COLUMNS),
        bulk.Table.of(DispatchOrder, ORDER_COLUMNS),
        bulk.Table.of(IssueEvent, EVENT_COLUMNS),
    )
    visits_table, issues_table, orders_table, events_table = tables
    numbers = IssueNumbers()
    advance = stage("Issues with orders and events", sum(c.size for c in chunks))
    async with aclosing(_chunks(factory, chunks, workers)) as stream:
        async for rows in stream:
            visits, issues = numbers.apply(rows)
            await bulk.insert(conn, visits_table, visits)
            await bulk.insert(conn, issues_table, issues)
            await bulk.insert(conn, orders_table, rows.orders)
            await bulk.insert(conn, events_table, rows.events)
            advance(len(issues))


async def _analyze() -> None:
    """PostgreSQL: fresh planner statistics and visibility maps for the tables just filled (autovacuum
    would get there within minutes; a benchmark started right away would not wait)."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return
    for _, model in TABLES:
        await conn.execute_script(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
