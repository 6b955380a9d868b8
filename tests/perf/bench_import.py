"""Import benchmark: 100,000 enterprises and 100,000 issues from generated XLSX files.

Builds a scratch SQLite database with the demo county (townships, teams, 600 enterprises, 3,000+
issues), writes a register of 100,000 new enterprises (points inside their townships) and a ledger
of 100,000 issues about them (closed, resolved, in progress, dispatched, reported), and imports each
with `yimi import` in a process of its own. Prints rows per second and the importing process's peak
RSS; fails when an import takes 60 s or more (issue 13's budget on a 2-core machine).

Run: .venv/bin/python tests/perf/bench_import.py [ROWS]   (`make bench` runs it)
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.imports.fixtures import HEADER

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
BUDGET_SECONDS = 60
SEED = 13


def child(kind: str, path: str) -> None:
    """The import itself, in this process: prints seconds, counts and peak RSS as JSON."""
    import asyncio

    from yimi import db
    from yimi.imports.service import run_import
    from yimi.settings import get_settings

    async def main():
        settings = get_settings()
        await db.init_ready_db(settings)
        try:
            return await run_import(kind, Path(path), settings, importer="bench")
        finally:
            await db.close_db()

    result = asyncio.run(main())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": result.seconds,
                "read": result.read,
                "created": result.created,
                "rejected": result.rejected,
                "warnings": len(result.warnings),
                "first_error": str(result.errors[0]) if result.errors else None,
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


def yimi(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "yimi.cli", *args], env=env, check=True, capture_output=True)


def townships_and_teams(database: Path):
    import sqlite3

    import shapely
    from shapely.geometry import shape

    with sqlite3.connect(database) as conn:
        places = [(name, shape(json.loads(b))) for name, b in conn.execute("SELECT name, boundary FROM township")]
        teams = [name for (name,) in conn.execute("SELECT name FROM service_team")]
    for _, outline in places:
        shapely.prepare(outline)
    return places, teams


def points_inside(rng: random.Random, outline, n: int) -> list[tuple[float, float]]:
    import shapely

    minx, miny, maxx, maxy = outline.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        xs = [rng.uniform(minx, maxx) for _ in range(n * 3)]
        ys = [rng.uniform(miny, maxy) for _ in range(n * 3)]
        inside = shapely.contains_xy(outline.buffer(-0.002), xs, ys)
        out += [(x, y) for x, y, ok in zip(xs, ys, inside, strict=True) if ok]
    return out[:n]


def write_register(path: Path, places, n: int) -> list[tuple[str, str]]:
    import xlsxwriter
    from stdnum.cn import uscc

    rng = random.Random(SEED)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    per = n // len(places) + 1
    points = {name: points_inside(rng, outline, per) for name, outline in places}
    enterprises = []
    for i in range(n):
        township = places[i % len(places)][0]
        lon, lat = points[township][i // len(places)]
        body = f"91410223{i:09d}"
        code = body + uscc.calc_check_digit(body)
        name = f"尉氏县基准{i:06d}有限公司"
        enterprises.append((name, code))
        sheet.write_row(
            i + 1,
            0,
            [
                name,
                code,
                township,
                f"{township}工业路{i % 500 + 1}号",
                lon,
                lat,
                rng.choice("CCCCAFG"),
                rng.choice(["小型", "微型", "中型"]),
                rng.choice(["是", "否", "否"]),
                "纺织服装",
                "张伟",
                f"138{i:08d}",
            ],
        )
    book.close()
    return enterprises


def write_ledger(path: Path, enterprises: list[tuple[str, str]], teams: list[str], n: int) -> None:
    import xlsxwriter

    rng = random.Random(SEED + 1)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    header = [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "问题类型",
        "问题描述",
        "反映时间",
        "牵头单位",
        "协办单位",
        "办理状态",
        "办结时间",
        "满意度",
    ]
    sheet.write_row(0, 0, header)
    date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    start = datetime(2021, 1, 4, 9)
    statuses = ["已办结"] * 70 + ["办理中"] * 15 + ["已派单"] * 5 + ["待派单"] * 5 + ["已退单"] * 5
    for i in range(n):
        name, code = enterprises[i % len(enterprises)]
        # Office hours: a cell at exactly midnight reads as a date alone (reported at 9:00).
        reported = start + timedelta(days=rng.randrange(0, 4 * 365), minutes=rng.randrange(0, 9 * 60))
        status = rng.choice(statuses)
        lead = rng.choice(teams) if status != "待派单" else ""
        co = rng.choice(teams) if lead and rng.random() < 0.3 else ""
        resolved = reported + timedelta(hours=rng.randrange(4, 500)) if status == "已办结" else None
        satisfaction = rng.choice(["满意", "满意", "基本满意", ""]) if resolved else ""
        row = i + 1
        sheet.write_row(
            row,
            0,
            [
                row,
                name,
                code,
                rng.choice(["融资", "用工", "用地", "用电", "审批", "物流"]),
                f"第{row}号问题：企业反映生产经营中遇到的困难，需协调解决。",
            ],
        )
        sheet.write_datetime(row, 5, reported, date)
        sheet.write_row(row, 6, [lead, co if co != lead else "", status])
        if resolved:
            sheet.write_datetime(row, 9, resolved, date)
        sheet.write(row, 10, satisfaction)
    book.close()


def run(env: dict, kind: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="yimi-bench-import-") as folder:
        work = Path(folder)
        database = work / "bench.sqlite3"
        env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{database}"}
        env.pop("YIMI_ENV", None)
        yimi(env, "migrate")
        yimi(env, "demo", "--quiet")
        places, teams = townships_and_teams(database)
        t = time.perf_counter()
        enterprises = write_register(work / "register.xlsx", places, ROWS)
        write_ledger(work / "ledger.xlsx", enterprises, teams, ROWS)
        print(f"generated {ROWS:,} enterprises and {ROWS:,} issues as XLSX in {time.perf_counter() - t:.1f} s")
        failed = False
        for kind, path in (("enterprises", work / "register.xlsx"), ("issues", work / "ledger.xlsx")):
            stats = run(env, kind, path)
            rate = stats["read"] / stats["seconds"]
            verdict = "ok" if stats["seconds"] < BUDGET_SECONDS and not stats["rejected"] else "FAILED"
            failed |= verdict != "ok"
            print(
                f"import {kind:<11} {stats['read']:>8,} rows  {stats['seconds']:6.1f} s  {rate:>8,.0f} rows/s  "
                f"peak RSS {stats['peak_rss_mb']:,.0f} MB  created {stats['created']:,}  rejected {stats['rejected']:,}  "
                f"warnings {stats['warnings']:,}  [{verdict}, budget {BUDGET_SECONDS} s]"
            )
            if stats["first_error"]:
                print(f"  first error: {stats['first_error']}")
        return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
