"""Public statistics: issue counts by township and category, with small counts suppressed.

Anyone may read them, so they must not single out an enterprise:

* primary suppression: a count below ``THRESHOLD`` (0 included) is published as "<5";
* within a row, reported = open + resolved: never exactly one of the three is suppressed, so that
  it cannot be derived from the other two;
* within a breakdown (by township, by category) whose total is published, a measure never has
  exactly one suppressed row, so that it cannot be derived as the total minus the others;
* which figure is suppressed with a lone one (secondary suppression) never depends on a value, only
  on which figures are suppressed already and on their position: in a row, open and resolved go
  together and a lone reported takes open with it; in a breakdown, the row that goes with the lone
  one is the published row with the most figures suppressed already, ties going to the first after
  the lone one in the table's order (wrapping round). A choice by value would give the hidden
  figure away: "the smaller of reported and resolved" told every open = 0 (reported = resolved),
  and "the smallest published row" told that the row is at most the others, which with the total
  can pin the primary one;
* a rate is published only over at least ``RATE_MIN`` issues, when both its part and the rest are
  at least ``THRESHOLD``, and, for the on-time rate, when its denominator (resolved) is published;
  rounded to whole percent;
* one calendar year per table and no other filter: tables never overlap, so no difference of
  two published tables isolates a suppressed count, and no time window is narrow enough to isolate
  an issue. The two breakdowns share only their total (no township x category cross table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q
from tortoise.functions import Count

from yimi.issues.models import OPEN_VALUES, Issue, IssueCategory, Satisfaction
from yimi.issues.warning import overdue_q
from yimi.townships.models import Township

THRESHOLD = 5
RATE_MIN = 10
MEASURES = ("reported", "open", "resolved", "overdue")
RESOLVED_STATUSES = ["resolved", "closed"]
CONTENT = [Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value]


@dataclass
class Cell:
    """Exact figures of one group; ``shown`` lists the measures that may be published."""

    reported: int = 0
    open: int = 0
    resolved: int = 0
    overdue: int = 0
    on_time: int = 0
    rated: int = 0
    content: int = 0
    shown: set[str] = field(default_factory=set)

    def add(self, other: Cell) -> None:
        for name in ("reported", "open", "resolved", "overdue", "on_time", "rated", "content"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def published(self, measure: str) -> int | None:
        """The count to publish, or None when suppressed."""
        return getattr(self, measure) if measure in self.shown else None

    @property
    def on_time_rate(self) -> float | None:
        # Its denominator must be published: a rate over a hidden count would give the count back.
        if "resolved" not in self.shown:
            return None
        return _rate(self.on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.content, self.rated)


def _rate(part: int, whole: int) -> float | None:
    """A share to publish: over at least RATE_MIN, with both the part and the rest at least THRESHOLD
    (so that nothing small can be worked out from it), rounded to whole percent."""
    if whole < RATE_MIN or part < THRESHOLD or whole - part < THRESHOLD:
        return None
    return round(part / whole, 2)


@dataclass
class Row:
    key: str
    label: str
    cell: Cell


@dataclass
class Statistics:
    county: str
    total: Cell
    by_township: list[Row]
    by_category: list[Row]


IDENTITY = ("reported", "open", "resolved")  # reported = open + resolved
# The figure suppressed with a lone suppressed one in a row: a fixed rule, never a comparison of values.
COMPLEMENT = {"open": "resolved", "resolved": "open", "reported": "open"}


def _primary(cell: Cell) -> None:
    cell.shown = {m for m in MEASURES if getattr(cell, m) >= THRESHOLD}


def _row_rule(cell: Cell) -> bool:
    """Of reported, open and resolved, never exactly one hidden: it would be the others' sum or difference."""
    hidden = [m for m in IDENTITY if m not in cell.shown]
    if len(hidden) != 1:
        return False
    cell.shown.discard(COMPLEMENT[hidden[0]])
    return True


def _companion(rows: list[Row], lone: int) -> Row:
    """The row suppressed with a lone suppressed one: the published row with the most figures suppressed
    already, ties going to the first after the lone one (wrapping round). The pattern alone decides."""

    def preference(i: int) -> tuple[int, int]:
        return (-sum(m not in rows[i].cell.shown for m in MEASURES), (i - lone) % len(rows))

    return rows[min((i for i in range(len(rows)) if i != lone), key=preference)]


def _column_rule(total: Cell, rows: list[Row]) -> bool:
    """Under a published total, never exactly one hidden row: it would be the total minus the others.

    The row hidden with it is chosen from the pattern alone (see the module's docstring)."""
    changed = False
    for measure in MEASURES:
        if measure not in total.shown:
            continue
        hidden = [i for i, r in enumerate(rows) if measure not in r.cell.shown]
        if len(hidden) != 1 or len(rows) < 2:
            continue
        _companion(rows, hidden[0]).cell.shown.discard(measure)
        changed = True
    return changed


def _suppress(total: Cell, breakdowns: list[list[Row]]) -> None:
    cells = [total, *(r.cell for rows in breakdowns for r in rows)]
    for cell in cells:
        _primary(cell)
    # Each pass applies the row rule to every group, then the column rule to every breakdown; each step
    # only hides more, so this ends.
    changed = True
    while changed:
        rows_changed = [_row_rule(cell) for cell in cells]
        columns_changed = [_column_rule(total, rows) for rows in breakdowns]
        changed = any(rows_changed) or any(columns_changed)


async def statistics(year: int, now: datetime, timezone: str) -> Statistics:
    """The figures of the issues reported in ``year`` (county time), suppressed for publication."""
    township_rows = await Township.all().order_by("code").only("id", "code", "name", "county_name")
    zone = ZoneInfo(timezone)
    # Stored timestamps are UTC text on SQLite: bounds go in as UTC too (see yimi.db).
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    qs = Issue.filter(reported_at__gte=start, reported_at__lt=end)
    resolved = Q(status__in=RESOLVED_STATUSES)
    groups = await (
        qs.annotate(
            n=Count("id"),
            n_open=Count("id", _filter=Q(status__in=OPEN_VALUES)),
            n_resolved=Count("id", _filter=resolved),
            n_overdue=Count("id", _filter=overdue_q(now)),
            n_on_time=Count("id", _filter=resolved & Q(resolved_at__lte=F("deadline"))),
            n_rated=Count("id", _filter=Q(satisfaction__isnull=False)),
            n_content=Count("id", _filter=Q(satisfaction__in=CONTENT)),
        )
        .group_by("enterprise__township_id", "category")
        .values_list(
            "enterprise__township_id",
            "category",
            "n",
            "n_open",
            "n_resolved",
            "n_overdue",
            "n_on_time",
            "n_rated",
            "n_content",
        )
    )
    total = Cell()
    per_township = {t.id: Cell() for t in township_rows}
    categories = list(IssueCategory)
    per_category = {c.value: Cell() for c in categories}
    for township_id, category, *counts in groups:
        cell = Cell(*counts)
        total.add(cell)
        per_township[township_id].add(cell)
        per_category[str(getattr(category, "value", category))].add(cell)

    by_township = [Row(t.code, t.name, per_township[t.id]) for t in township_rows]
    by_category = [Row(c.value, c.name, per_category[c.value]) for c in categories]
    _suppress(total, [by_township, by_category])
    county = township_rows[0].county_name if township_rows else ""
    return Statistics(county=county, total=total, by_township=by_township, by_category=by_category)
