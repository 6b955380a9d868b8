"""``run_import``: one file of one kind into the database, all or nothing.

    result = await run_import("enterprises", Path("register.xlsx"), settings)
    result = await run_import("issues", path, settings, dry_run=True)     # writes nothing
    result = await run_import("issues", path, settings, skip_invalid=True)  # good rows in, bad ones out

Rows stream from the file in batches: each batch is checked (against the file so far and the
database) and written, inside one transaction. A real run commits only if no row was rejected,
unless ``skip_invalid``: then the good rows commit and the rejected ones go to a CSV file with the
same columns and a reason column, to be fixed and imported again. Memory stays bounded by the
batch, plus one key per row for the duplicate check.
"""

from __future__ import annotations

import csv
import getpass
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from yimi.imports.base import Change, Context, KindImporter, Problem, Row, shown
from yimi.imports.coords import Crs
from yimi.imports.headers import ALIASES, FREE_TEXT, REQUIRED, find_header, label
from yimi.imports.readers import UnreadableFile, check_zip, nfkc, open_rows, read_features
from yimi.imports.values import text
from yimi.settings import Settings

BATCH_SIZE = 1000
KINDS = ("enterprises", "issues", "teams", "townships")
# The rejected rows' file gets this column for what was wrong (ignored when imported again).
REASON_COLUMN = "错误原因 (problems)"


class ImportFailed(Exception):
    """The file cannot be imported at all (unreadable, or a required column is missing)."""


class ImportConflict(ImportFailed):
    """The transaction hit a unique key or a serialisation failure: another import (or the server)
    wrote the same rows meanwhile. Nothing was written; running it again sees their rows."""


CONFLICT = "another import changed the same rows meanwhile; nothing was written: run it again"


def _conflict(error: Exception) -> bool:
    """A unique violation, a serialisation failure or a deadlock (PostgreSQL), or SQLite's lock."""
    from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

    if isinstance(error, IntegrityError):
        return True
    message = str(error).lower()
    return isinstance(error, OperationalError | TransactionManagementError) and any(
        words in message for words in ("could not serialize", "deadlock detected", "database is locked")
    )


@dataclass
class ImportResult:
    kind: str
    file: str
    dry_run: bool
    committed: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # what each update changes, old → new
    ignored_columns: list[str] = field(default_factory=list)
    rejected_file: Path | None = None
    titles: list[str] = field(default_factory=list)  # the file's headers, every column
    encoding: str | None = None
    seconds: float = 0.0


def _importer(kind: str, ctx: Context) -> KindImporter:
    if kind == "enterprises":
        from yimi.imports.enterprises import EnterpriseImporter

        return EnterpriseImporter(ctx)
    if kind == "issues":
        from yimi.imports.issues import IssueImporter

        return IssueImporter(ctx)
    if kind == "teams":
        from yimi.imports.teams import TeamImporter

        return TeamImporter(ctx)
    if kind == "townships":
        from yimi.imports.townships import TownshipImporter

        return TownshipImporter(ctx)
    raise ImportFailed(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")


class _RollBack(Exception):
    pass


def _table_rows(kind: str, path: Path, result: ImportResult) -> tuple[Iterator[Row], dict[str, str], int | None]:
    """Data rows of a spreadsheet or CSV file, the header names, and the row count when known."""
    rows = open_rows(path)
    result.encoding = rows.encoding
    head = list(itertools.islice(rows.rows, 10))
    header = find_header(kind, [cells for _, cells in head])
    if header is None:
        raise ImportFailed(f"{path.name}: no header row naming the {kind} columns (see `yimi import template {kind}`)")
    missing = [label(kind, f) for f in REQUIRED[kind] if f not in header.columns]
    if kind == "issues" and "enterprise" not in header.columns and "uscc" not in header.columns:
        missing.insert(0, label(kind, "enterprise"))
    if missing:
        raise ImportFailed(f"{path.name}: no column {', '.join(missing)} (required)")
    result.ignored_columns = [c for c in header.unknown if c not in (REASON_COLUMN, "行号 (row)")]
    columns = header.columns

    def data() -> Iterator[Row]:
        for number, cells in itertools.chain(head[header.last_row :], rows.rows):
            footer = _footer(cells)
            if footer:
                reason = "a total or signature line (合计, 填表人 …): skipped"
                result.warnings.append(Problem("warning", path.name, number, "", footer, reason))
                continue
            picked = {f: cells[i] if i < len(cells) else None for f, i in columns.items()}
            picked = {f: value if f in FREE_TEXT else nfkc(value) for f, value in picked.items()}
            if all(text(value) == "" for value in picked.values()):
                continue  # blank lines, and the 合计 line's empty cells, are no records
            yield Row(number, picked, raw=cells)

    result.titles = header.titles
    return data(), header.names, None


# The lines under a ledger that are no records: totals and signatures (合计：24条, 填表人：张三).
FOOTER = re.compile(r"(合\s*计|小\s*计|总\s*计|填表人|填报人|审核人|审核|制表|备注|注\s*[:：])")
FOOTER_COLUMNS = 2


def _footer(cells: list[Any]) -> str | None:
    """The first cell of a total or signature line: its first non-empty cell, in the first two
    columns, starts with 合计/小计/总计/填表人/审核人/制表/备注, and every other cell is empty, a number or
    the same kind of words."""
    filled = [(i, text(c)) for i, c in enumerate(cells) if text(c)]
    if not filled or filled[0][0] >= FOOTER_COLUMNS or not FOOTER.match(filled[0][1]):
        return None
    for _, value in filled[1:]:
        if not (FOOTER.match(value) or re.fullmatch(r"[\d.,，]+\s*[条件个项家]?", value)):
            return None
    return filled[0][1]


def _feature_rows(path: Path) -> tuple[Iterator[Row], dict[str, str], int]:
    from yimi.imports.townships import feature_cells

    features = read_features(path)
    return (Row(i, feature_cells(f)) for i, f in enumerate(features, start=1)), {}, len(features)


def row_count(path: Path) -> int | None:
    """Rows in the first sheet of a spreadsheet (for the progress bar); None for other files."""
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".ods"):
        return None
    from python_calamine import CalamineWorkbook

    try:
        check_zip(path)
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).height
    except Exception:
        return None


async def run_import(
    kind: str,
    path: Path,
    settings: Settings,
    *,
    crs: Crs = Crs.WGS84,
    dry_run: bool = False,
    update: bool = False,
    skip_invalid: bool = False,
    importer: str | None = None,
    rejected_file: Path | None = None,
    on_rows: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> ImportResult:
    started = time.perf_counter()
    result = ImportResult(kind=kind, file=path.name, dry_run=dry_run)
    geojson = kind == "townships" and path.suffix.lower() in (".geojson", ".json")
    try:
        if geojson:
            rows, names, _ = _feature_rows(path)
        else:
            rows, names, _ = _table_rows(kind, path, result)
    except (UnreadableFile, OSError) as error:
        raise ImportFailed(str(error)) from None
    ctx = Context(
        kind=kind,
        file=path,
        settings=settings,
        crs=crs,
        update=update,
        importer=importer or getpass.getuser(),
        now=now or datetime.now(UTC),
        column_names=names,
    )
    worker = _importer(kind, ctx)
    default = path.with_name(f"{path.stem}.rejected.{'geojson' if geojson else 'csv'}")
    rejects: _Rejects = (_RejectedFeatures if geojson else _Rejects)(rejected_file or default, kind, names)
    rejects.titles = result.titles

    async def process(conn: BaseDBAsyncClient) -> None:
        await worker.prepare(conn)
        while batch := list(itertools.islice(rows, batch_size)):
            result.read += len(batch)
            outcomes = await worker.check(batch, conn)
            for row in batch:
                result.errors += [p for p in row.problems if p.level == "error"]
                result.warnings += [p for p in row.problems if p.level == "warning"]
                if row.rejected:
                    result.rejected += 1
                    if skip_invalid and not dry_run:
                        rejects.add(row)
            good = [o for o in outcomes if not o.row.rejected]
            for o in good:
                setattr(result, _COUNTER[o.action], getattr(result, _COUNTER[o.action]) + 1)
                for name, (old, new) in o.changes.items():
                    column = name.removesuffix("_id") if name.removesuffix("_id") in ALIASES[kind] else name
                    column = ctx.column(column) if column in ALIASES[kind] else column
                    result.changes.append(Change(path.name, o.row.number, column, shown(old), shown(new)))
            # After a rejected row an all-or-nothing run writes no more: it will roll back.
            if not dry_run and (skip_invalid or not result.errors):
                await worker.write([o for o in good if o.action != "unchanged"], conn)
            if on_rows:
                on_rows(len(batch))
        result.warnings += worker.file_problems()

    try:
        if dry_run:
            # No transaction: on SQLite one would hold the write lock, and the server's writes
            # would wait for a run that writes nothing.
            await process(connections.get("default"))
        else:
            async with in_transaction() as conn:
                await process(conn)
                if result.errors and not skip_invalid:
                    raise _RollBack
            result.committed = True
    except _RollBack:
        pass
    except Exception as error:
        if not dry_run and _conflict(error):
            raise ImportConflict(f"{path.name}: {CONFLICT}") from None
        raise
    finally:
        rejects.close()
    result.rejected_file = rejects.path if rejects.count else None
    result.seconds = time.perf_counter() - started
    return result


_COUNTER = {"create": "created", "update": "updated", "unchanged": "unchanged"}


class _Rejects:
    """The rejected rows as a CSV (UTF-8 with BOM, so that Excel reads the Chinese), written as they come."""

    def __init__(self, path: Path, kind: str, names: dict[str, str]):
        self.path = path
        self.kind = kind
        self.names = names
        self.count = 0
        self._file: Any = None
        self._writer: Any = None
        self._fields: list[str] = []
        self.titles: list[str] = []

    def add(self, row: Row) -> None:
        """Every column of the file (ignored ones too) as it was, then the reasons; the row number
        and the reasons are columns an import ignores, so the file imports again as it is."""
        reasons = "; ".join(f"{p.column}: {p.reason}" if p.column else p.reason for p in row.problems)
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            if self.titles:
                headers = list(self.titles)
            else:
                self._fields = list(row.cells)
                headers = [self.names.get(f) or label(self.kind, f) for f in self._fields]
            self._writer.writerow(["行号 (row)", *headers, REASON_COLUMN])
        if self.titles and row.raw is not None:
            cells = [text(c) for c in row.raw[: len(self.titles)]]
            cells += [""] * (len(self.titles) - len(cells))
        else:
            cells = [text(row.cells.get(f)) for f in self._fields]
        self._writer.writerow([row.number, *cells, reasons])
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class _RejectedFeatures(_Rejects):
    """Rejected townships of a GeoJSON file, as GeoJSON again (with a ``problems`` property)."""

    def __init__(self, path: Path, kind: str, names: dict[str, str]):
        super().__init__(path, kind, names)
        self.features: list[dict[str, Any]] = []

    def add(self, row: Row) -> None:
        properties = {f: value for f, value in row.cells.items() if f != "boundary"}
        properties["problems"] = "; ".join(str(p) for p in row.problems)
        self.features.append({"type": "Feature", "properties": properties, "geometry": row.cells.get("boundary")})
        self.count += 1

    def close(self) -> None:
        if self.features:
            collection = {"type": "FeatureCollection", "features": self.features}
            self.path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
