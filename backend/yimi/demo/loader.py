"""Loads the Weishi county (尉氏县) demo into the database, once, in one transaction.

    await init_db(settings)
    summary = await load_demo(settings)           # does nothing if the demo is already there
    summary = await load_demo(settings, reset=True)  # empties every table first

The rows come from ``yimi.demo.generator`` (pure, deterministic for a given ``today``); this module
only writes them.
"""

from __future__ import annotations

import asyncio
import time as _time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model
from tortoise.transactions import in_transaction

from yimi.accounts.models import Department, Staff
from yimi.demo.generator import DemoConfig, DemoData, generate_demo
from yimi.enterprises.models import Enterprise, Visit
from yimi.issues.deadlines import DeadlineRules
from yimi.issues.models import DispatchOrder, Issue, IssueEvent
from yimi.settings import Settings, get_settings
from yimi.stats.releases import publish
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamMember
from yimi.townships.models import Township

APP = "yimi"
BATCH_SIZE = 1000

# Parents first: the insertion order; (DemoData attribute, model).
TABLES: tuple[tuple[str, type[Model]], ...] = (
    ("townships", Township),
    ("departments", Department),
    ("staff", Staff),
    ("teams", ServiceTeam),
    ("team_members", TeamMember),
    ("team_coverage", TeamCoverage),
    ("enterprises", Enterprise),
    ("visits", Visit),
    ("issues", Issue),
    ("dispatch_orders", DispatchOrder),
    ("issue_events", IssueEvent),
)


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` did, and how many rows each table holds afterwards."""

    loaded: bool  # False when the demo was already there and nothing was written
    reset: bool
    today: date | None
    seconds: float
    townships: int = 0
    departments: int = 0
    staff: int = 0
    teams: int = 0
    team_members: int = 0
    team_coverage: int = 0
    enterprises: int = 0
    above_scale: int = 0
    visits: int = 0
    issues: int = 0
    dispatch_orders: int = 0
    issue_events: int = 0

    @property
    def message(self) -> str:
        if not self.loaded:
            return "The demo data is already loaded; nothing changed (`yimi demo --reset` reloads it)."
        what = "Reloaded" if self.reset else "Loaded"
        return f"{what} the Weishi county demo as of {self.today} in {self.seconds:.1f} s."

    def counts(self) -> dict[str, int]:
        skip = {"loaded", "reset", "today", "seconds"}
        return {k: v for k, v in asdict(self).items() if k not in skip}

    def __str__(self) -> str:
        width = max(len(k) for k in self.counts())
        lines = [self.message] + [f"  {k:<{width}}  {v:>7,}" for k, v in self.counts().items()]
        return "\n".join(lines)


def demo_config(settings: Settings) -> DemoConfig:
    return DemoConfig(
        number_prefix=settings.issue_number_prefix,
        deadline_rules=DeadlineRules.from_settings(settings),
        timezone=settings.timezone,
        warn_yellow_at=settings.warn_yellow_at,
        warn_orange_at=settings.warn_orange_at,
    )


async def load_demo(
    settings: Settings | None = None,
    *,
    reset: bool = False,
    today: date | None = None,
    progress: bool = True,
) -> DemoSummary:
    """Loads the demo unless it is there already; ``reset`` first deletes every row of every table.

    Assumes Tortoise is initialised (``yimi.db.init_db``) on a migrated database. The data depends
    only on ``today`` (default: today in ``settings.timezone``): everything happens before its
    start, and the last two months hold issues in every status and warning colour.
    """
    settings = settings or get_settings()
    config = demo_config(settings)
    started = _time.perf_counter()
    if not reset and await _present(config):
        return await _already_loaded(started)
    today = today or datetime.now(ZoneInfo(settings.timezone)).date()
    with _progress(progress) as stage:
        # Generating takes about a second of CPU: off the event loop, and before the write lock.
        data = await asyncio.to_thread(generate_demo, today, config, on_stage=lambda name: stage(f"Generating {name}"))
        async with in_transaction() as conn:
            if reset:
                await delete_all(conn, stage)
            elif await _present(config, conn):  # loaded by someone else meanwhile
                return await _already_loaded(started)
            await write(conn, data, stage)
            await _fix_sequences(conn)
            summary = await _summary(conn, loaded=True, reset=reset, today=today, started=started)
    # An initial release of the public figures, so that the public page has something to show.
    await publish(datetime.now(UTC), settings)
    return summary


async def _present(config: DemoConfig, conn: BaseDBAsyncClient | None = None) -> bool:
    return await Township.filter(code=f"{config.county_code}001").using_db(conn).exists()


async def _already_loaded(started: float) -> DemoSummary:
    return await _summary(None, loaded=False, reset=False, today=None, started=started)


async def write(conn: BaseDBAsyncClient, data: DemoData, stage: Callable | None = None) -> None:
    """Bulk-inserts ``data`` through ``conn`` in batches, parents first.

    The generated ids start at 1. Rows already in a table (an admin created before the demo was
    loaded, say) push the new ids past them, and departments that exist by name are reused.
    """
    stage = stage or _no_stage
    idmaps: dict[type[Model], dict[int, int]] = {}
    for attr, model in TABLES:
        rows = await _placed(conn, model, getattr(data, attr), idmaps)
        advance = stage(f"Inserting {model._meta.db_table}", len(rows))
        for start in range(0, len(rows), BATCH_SIZE):
            batch = [model(**row) for row in rows[start : start + BATCH_SIZE]]
            await model.bulk_create(batch, using_db=conn)
            advance(len(batch))


async def _placed(
    conn: BaseDBAsyncClient, model: type[Model], rows: Sequence[dict], idmaps: dict[type[Model], dict[int, int]]
) -> list[dict]:
    """The rows to insert, with ids (and foreign keys) moved past the rows already there."""
    # Tortoise types values_list(flat=True) as tuples; it gives the values themselves.
    ids = cast(list[int], await model.all().using_db(conn).order_by("-id").limit(1).values_list("id", flat=True))
    top = ids[0] if ids else 0
    reuse: dict[int, int] = {}
    if model is Department and top:
        existing = dict(await Department.all().using_db(conn).values_list("name", "id"))
        reuse = {r["id"]: existing[r["name"]] for r in rows if r["name"] in existing}
    idmap: dict[int, int] = {}
    next_id = top
    for r in rows:
        if r["id"] in reuse:
            idmap[r["id"]] = reuse[r["id"]]
        else:
            next_id += 1
            idmap[r["id"]] = next_id
    idmaps[model] = idmap
    relations = [model._meta.fields_map[name] for name in model._meta.fk_fields]
    # Once Tortoise is initialised, a foreign key's source_field names its `<field>_id` column.
    fks = [
        (f.source_field, idmaps[f.related_model])
        for f in relations
        if isinstance(f, ForeignKeyFieldInstance) and f.source_field and f.related_model in idmaps
    ]
    if all(k == v for k, v in idmap.items()) and all(all(k == v for k, v in m.items()) for _, m in fks):
        return list(rows)  # the usual case: empty tables
    placed = []
    for r in rows:
        if r["id"] in reuse:
            continue
        row = dict(r, id=idmap[r["id"]])
        for column, mapping in fks:
            if row.get(column) is not None:
                row[column] = mapping[row[column]]
        placed.append(row)
    return placed


def delete_order() -> list[type[Model]]:
    """Every model of the app, each before the models it refers to (children first)."""
    models = sorted(Tortoise.apps[APP].values(), key=lambda m: m._meta.db_table)
    refs: dict[type[Model], set[type[Model]]] = {}
    for m in models:
        names = m._meta.fk_fields | m._meta.o2o_fields
        refs[m] = {m._meta.fields_map[n].related_model for n in names} - {m}
    order: list[type[Model]] = []
    remaining = list(models)
    while remaining:
        free = [m for m in remaining if not any(m in refs[o] for o in remaining if o is not m)]
        free = free or remaining[:1]  # a reference cycle: break it anywhere
        order += free
        remaining = [m for m in remaining if m not in free]
    return order


async def delete_all(conn: BaseDBAsyncClient, stage: Callable | None = None) -> None:
    """Deletes every row of every table of the app (many-to-many link tables, then children first)."""
    stage = stage or _no_stage
    order = delete_order()
    advance = stage("Deleting existing rows", len(order))
    through: list[str] = []
    for m in order:
        for name in m._meta.m2m_fields:
            table = getattr(m._meta.fields_map[name], "through", None)
            if table and table not in through:
                through.append(table)
    for table in through:
        await conn.execute_query(f'DELETE FROM "{table}"')
    for m in order:
        await m.all().using_db(conn).delete()
        advance(1)


async def _fix_sequences(conn: BaseDBAsyncClient) -> None:
    """Rows carry explicit ids; PostgreSQL's serial sequences must be moved past them."""
    if conn.capabilities.dialect != "postgres":
        return
    for _, model in TABLES:
        table = model._meta.db_table
        await conn.execute_query(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


async def _summary(
    conn: BaseDBAsyncClient | None, *, loaded: bool, reset: bool, today: date | None, started: float
) -> DemoSummary:
    counts = {attr: await model.all().using_db(conn).count() for attr, model in TABLES}
    counts["above_scale"] = await Enterprise.filter(above_scale=True).using_db(conn).count()
    known = {f.name for f in fields(DemoSummary)}
    return DemoSummary(
        loaded=loaded,
        reset=reset,
        today=today,
        seconds=_time.perf_counter() - started,
        **{k: v for k, v in counts.items() if k in known},
    )


def _no_stage(description: str, total: int = 1, completed: int = 0) -> Callable[[int], None]:
    return lambda n: None


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable]:
    """Yields ``stage(description, total, completed=0) -> advance(n)``; a rich bar per stage."""
    if not enabled:
        yield _no_stage
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[progress.description]{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )

    def finish() -> None:
        for task in bar.tasks:
            if not task.finished:
                bar.update(task.id, completed=task.total)

    def stage(description: str, total: int = 1, completed: int = 0) -> Callable[[int], None]:
        if not bar.tasks:
            bar.start()  # lazily: no empty bar when there is nothing to do
        finish()  # the previous stage is over
        task_id = bar.add_task(description, total=max(total, 1), completed=completed)
        return lambda n: bar.advance(task_id, n)

    try:
        yield stage
        finish()
    finally:
        if bar.tasks:
            bar.stop()
