"""The all-or-nothing rule, by a failure injected mid-file, in a process of its own (Tortoise keeps
global state). Run by test_transactions.py on SQLite and PostgreSQL.

Usage: python import_check.py DATABASE_URL TOWNSHIPS.geojson REGISTER.csv
With a postgres:// URL naming the server only, it creates a scratch database and always drops it.
Imports the townships, then the register in batches of 5 with the third batch's write failing,
then the register again without the failure, then once more. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from yimi import db
from yimi.enterprises.models import Enterprise
from yimi.imports import enterprises, service
from yimi.settings import Settings


async def check(settings: Settings, townships: Path, register: Path) -> dict:
    await service.run_import("townships", townships, settings)
    original = enterprises.EnterpriseImporter.write
    calls = 0

    async def failing(self, outcomes, conn):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full (injected)")
        await original(self, outcomes, conn)

    enterprises.EnterpriseImporter.write = failing  # type: ignore[method-assign]
    try:
        await service.run_import("enterprises", register, settings, batch_size=5)
        raise AssertionError("the injected failure did not happen")
    except RuntimeError as error:
        failure = str(error)
    finally:
        enterprises.EnterpriseImporter.write = original  # type: ignore[method-assign]
    after_failure = await Enterprise.all().count()
    first = await service.run_import("enterprises", register, settings, batch_size=5)
    second = await service.run_import("enterprises", register, settings, batch_size=5)
    return {
        "failure": failure,
        "batches_written_before_failure": calls - 1,
        "after_failure": after_failure,
        "created": first.created,
        "committed": first.committed,
        "rerun_unchanged": second.unchanged,
        "rerun_created": second.created,
        "count": await Enterprise.all().count(),
    }


async def main(url: str, townships: Path, register: Path) -> None:
    if not url.startswith("postgres"):
        settings = Settings(database_url=url)
        await db.migrate(settings)
        await db.init_db(settings)
        try:
            print(json.dumps(await check(settings, townships, register)))
        finally:
            await db.close_db()
        return
    import asyncpg

    name = f"yimi_import_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        settings = Settings(database_url=urlunsplit(urlsplit(url)._replace(path=f"/{name}")))
        await db.migrate(settings)
        await db.init_db(settings)
        try:
            result = await check(settings, townships, register)
        finally:
            await db.close_db()
        print(json.dumps({"database": name, **result}))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
