"""What every kind of import shares: rows, problems, the per-kind importer interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Literal

from tortoise.backends.base.client import BaseDBAsyncClient

from yimi.imports.coords import Crs
from yimi.imports.headers import ALIASES, label
from yimi.imports.values import text
from yimi.settings import Settings


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or one row, when ``column`` is empty)."""

    level: Literal["error", "warning"]
    file: str
    row: int
    column: str
    value: str
    reason: str
    code: str = ""  # stable, for translation (yimi.imports.codes); from the reason when not given
    params: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.code:
            from yimi.imports.codes import code_of

            code, params = code_of(self.reason)
            object.__setattr__(self, "code", code)
            object.__setattr__(self, "params", {**params, **self.params})

    def __str__(self) -> str:
        if not self.row:  # about the whole file
            return f"{self.file}: {self.reason}"
        where = f"{self.file} row {self.row}"
        if self.column:
            where += f", {self.column}"
            if self.value:
                where += f" '{self.value}'"
        return f"{where}: {self.reason}"


@dataclass
class Row:
    """A data row: its 1-based number in the file and the raw cell of each mapped field."""

    number: int
    cells: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    raw: list[Any] | None = None  # every cell of the row as the file holds it (for the rejected file)

    @property
    def rejected(self) -> bool:
        return any(p.level == "error" for p in self.problems)


@dataclass
class Context:
    """What the importers of one run share."""

    kind: str
    file: Path
    settings: Settings
    crs: Crs
    update: bool
    importer: str  # who runs the import, as it goes into the imported events
    now: datetime
    column_names: dict[str, str]  # field -> header as the file writes it

    def column(self, name: str) -> str:
        return self.column_names.get(name) or label(self.kind, name)


class Checker:
    """Adds problems to a row, naming its file, row and the column as the file calls it."""

    def __init__(self, ctx: Context, row: Row):
        self.ctx = ctx
        self.row = row

    def _add(self, level: Literal["error", "warning"], name: str, reason: str, value: object = None) -> None:
        raw = self.row.cells.get(name) if value is None else value
        column = self.ctx.column(name) if name else ""
        self.row.problems.append(Problem(level, self.ctx.file.name, self.row.number, column, text(raw), reason))

    def error(self, name: str, reason: str, value: object = None) -> None:
        self._add("error", name, reason, value)

    def warn(self, name: str, reason: str, value: object = None) -> None:
        self._add("warning", name, reason, value)

    def raw(self, name: str) -> Any:
        value = self.row.cells.get(name)
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    def text(self, name: str, max_length: int, required: bool = False) -> str:
        value = text(self.raw(name))
        if required and not value:
            self.error(name, "required")
        elif len(value) > max_length:
            self.error(name, f"longer than {max_length} characters ({len(value)})")
        elif "\x00" in value:
            self.error(name, "contains a NUL character")
        return value

    def parse(self, name: str, parser, default=None, required: bool = False):
        """``parser(raw)``, or ``default`` when the cell is empty; a BadValue becomes an error."""
        from yimi.imports.values import BadValue

        raw = self.raw(name)
        if raw is None:
            if required:
                self.error(name, "required")
            return default
        try:
            return parser(raw)
        except BadValue as error:
            self.error(name, str(error))
            return default


@dataclass
class Outcome:
    """What a checked row will do: create, update or leave an existing record alone."""

    row: Row
    action: Literal["create", "update", "unchanged"]
    values: dict[str, Any]
    existing_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # An update: field -> (stored value, the file's value), for the report.
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One field an update changes: row, column (as the file names it), the stored and the new value."""

    file: str
    row: int
    column: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.file} row {self.row}, {self.column}: '{self.old}' → '{self.new}'"


def shown(value: Any) -> str:
    """A stored or parsed value as a report shows it."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.6f}"
    return text(value)


class KindImporter:
    """One kind of record. ``check`` validates a batch against the file so far and the database;
    ``write`` stores the rows that passed. Both run inside the import's transaction."""

    kind: ClassVar[str]

    def __init__(self, ctx: Context):
        self.ctx = ctx

    async def prepare(self, conn: BaseDBAsyncClient) -> None:
        """Loads the reference data the checks need (townships, teams…)."""

    async def check(self, rows: Sequence[Row], conn: BaseDBAsyncClient) -> list[Outcome]:
        raise NotImplementedError

    async def write(self, outcomes: Sequence[Outcome], conn: BaseDBAsyncClient) -> None:
        raise NotImplementedError

    def file_problems(self) -> list[Problem]:
        """Problems about the whole file, once the rows are through (row 0)."""
        return []

    def compared(
        self, row: Row, values: dict[str, Any], existing_id: int, changed: list[str], column: str, stored: str = ""
    ) -> Outcome | None:
        """A row whose record is already stored: unchanged, an update (with --update), or else an
        error on ``column`` (``stored`` says how the database knows the record, e.g. " as …")."""
        if not changed:
            return Outcome(row, "unchanged", values, existing_id)
        if self.ctx.update:
            return Outcome(row, "update", values, existing_id)
        Checker(self.ctx, row).error(
            column, f"already in the database{stored} with other {', '.join(changed)}: --update overwrites it"
        )
        return None


def differing(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    """The fields whose values differ; floats within a micro-degree and equal instants count as equal."""
    out = []
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, float) and isinstance(before, float):
            if abs(value - before) > 1e-9:
                out.append(key)
        elif isinstance(before, Enum) or isinstance(value, Enum):
            # Enum members and their stored strings compare by value.
            if getattr(value, "value", value) != getattr(before, "value", before):
                out.append(key)
        elif value != before:
            out.append(key)
    return out


def fields_of(kind: str) -> list[str]:
    return list(ALIASES[kind])
