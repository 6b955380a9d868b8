"""Releases on SQLite and PostgreSQL alike: the migration, the demo's initial release, a forced release after
new issues, two processes' worth of concurrent releases of one scheduled slot (one set stands), and the data
version moving with a release (the response cache keys on it).

Tortoise keeps one global connection per process (the suite's is SQLite), so the steps run in a subprocess
(this file run as a script) against a scratch SQLite file and a scratch PostgreSQL database; both must
give the same outcome.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

ADMIN_URL = os.environ.get("YIMI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[2]


async def steps(database_url: str) -> dict:
    from yimi import db
    from yimi.common import data_version
    from yimi.demo.loader import load_demo
    from yimi.issues.models import Issue
    from yimi.settings import Settings
    from yimi.stats import releases
    from yimi.stats.models import StatisticsRelease

    settings = Settings(database_url=database_url, frontend_dist=Path("/nonexistent"))
    await db.migrate(settings)
    await db.init_db(settings)
    try:
        await load_demo(settings, progress=False)
        this_year = datetime.now(UTC).year
        initial = sorted(await StatisticsRelease.all().values_list("year", flat=True))
        finals = sorted(await StatisticsRelease.filter(final=True).values_list("year", flat=True))
        latest = await releases.latest()
        body = json.loads(latest[this_year].json)

        # Fewer new issues than the threshold: nothing is released again.
        template = await Issue.filter(reported_at__gte=datetime(this_year, 1, 1, tzinfo=UTC)).order_by("-id").first()
        assert template is not None

        async def add(n: int) -> None:
            for _ in range(n):
                await Issue.create(
                    **{
                        f: getattr(template, f)
                        for f in template._meta.db_fields
                        if f not in ("id", "number", "ledger_number")
                    }
                    | {"number": f"T{uuid.uuid4().hex[:10]}"}
                )

        await add(1)
        too_few = await releases.publish(datetime.now(UTC), settings)
        await add(settings.public_min_count)
        before = await data_version.current()
        # One scheduled slot released twice at once (as two server processes would): one set stands. The
        # schedule's own slot: a forced release (the demo's) takes its second as its slot.
        slot = releases.last_slot(datetime.now(UTC), settings)
        both = await asyncio.gather(
            releases.publish(datetime.now(UTC), settings, slot), releases.publish(datetime.now(UTC), settings, slot)
        )
        after = await data_version.current()
        newest = json.loads((await releases.latest())[this_year].json)
        rows = await StatisticsRelease.all().count()

        # Two forced releases within one second (an operator's, a test's): both are made, the second cut off later.
        await add(settings.public_min_count)
        forced = await releases.publish(datetime.now(UTC), settings)
        await add(settings.public_min_count)
        first = await StatisticsRelease.filter(year=this_year).order_by("-id").first()
        assert first is not None
        same_second = await releases.publish(first.released_at + timedelta(milliseconds=500), settings)
        second = await StatisticsRelease.filter(year=this_year).order_by("-id").first()
        assert second is not None
        return {
            "initial": initial,
            "finals": finals,
            "initialTotal": body["total"]["reported"]["value"],
            "nextRelease": body["nextReleaseAt"] is not None,
            "tooFew": too_few,
            "both": sorted(both),
            "versionMoved": after > before,
            "newTotal": newest["total"]["reported"]["value"],
            "rows": rows,
            "forced": forced,
            "sameSecond": same_second,
            "laterCutOff": second.released_at > first.released_at,
        }
    finally:
        await db.close_db()


def _run(database_url: str) -> dict:
    env = {**os.environ, "YIMI_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, __file__, database_url], capture_output=True, text=True, env=env, timeout=400, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
async def pg_url():
    name = f"yimi_public_{uuid.uuid4().hex[:8]}"
    try:
        admin = await asyncpg.connect(ADMIN_URL)
    except OSError as error:
        pytest.fail(f"PostgreSQL is not answering at {ADMIN_URL} ({error})")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_releases_behave_alike_on_sqlite_and_postgresql(pg_url, tmp_path):
    sqlite = await asyncio.to_thread(_run, f"sqlite://{tmp_path / 'releases.sqlite3'}")
    postgres = await asyncio.to_thread(_run, pg_url)
    this_year = datetime.now(UTC).year
    assert sqlite["initial"] == list(range(2020, this_year + 1))
    assert sqlite["finals"] == list(range(2020, this_year))  # closed years are final at once
    assert sqlite["nextRelease"] and sqlite["tooFew"] == []
    assert sqlite["both"] == [[], [this_year]]  # one release of the slot; the other found it made
    assert sqlite["versionMoved"]
    assert sqlite["newTotal"] == sqlite["initialTotal"] + 1 + 5
    assert sqlite["rows"] == len(sqlite["initial"]) + 1
    assert sqlite["forced"] == sqlite["sameSecond"] == [this_year] and sqlite["laterCutOff"]
    assert postgres == sqlite


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(asyncio.run(steps(sys.argv[1]))))
