"""Public statistics: issue counts by township, category and month, with small counts withheld.

Anyone may read them, so they must not single out an enterprise. ``threshold`` below is
``YIMI_PUBLIC_MIN_COUNT`` (default ``THRESHOLD`` = 5).

* primary suppression: a count below ``threshold`` (0 included) is withheld;
* within a row, reported = open + resolved: never exactly one of the three is withheld, so that
  it cannot be derived from the other two;
* within a breakdown (by township, by category, by month) whose total is published, a measure never
  has exactly one withheld row, so that it cannot be derived as the total minus the others;
* which figure is withheld with a lone one (secondary suppression) never depends on a value, only
  on which figures are withheld already and on their position: in a row, open and resolved go
  together and a lone reported takes open with it; in a breakdown, the row that goes with the lone
  one is the published row with the most figures withheld already, ties going to the first after
  the lone one in the table's order (wrapping round). A choice by value would give the hidden
  figure away: "the smaller of reported and resolved" told every open = 0 (reported = resolved),
  and "the smallest published row" told that the row is at most the others, which with the total
  can pin the primary one;
* every withheld figure is published as the range of values the published figures allow
  (``low``..``high``; see ``bounds``): reported = open + resolved in every row, overdue <= open,
  each breakdown summing to the total, no count above the year's published total, and what
  published rates imply. The range is worked out from published figures only, never from the
  withheld value or from why it is withheld (a range cut at the threshold would tell which figure
  is the small one, and then that the other one is at least the threshold: reported 5 with open
  small gives resolved = 5, open = 0). So it tells nothing the published figures do not;
* the range audit: every range must hold at least ``threshold`` values. When one is narrower (two
  small rows of a breakdown that add up to 1 give each of them 0..1), more is withheld: in each
  relation the narrow figure is part of, one more published figure, chosen as above (in a row,
  the published one of reported, open and resolved: the row's total when it is reported; in a
  breakdown, the companion row), and the rules run again. This is the one step that reads values,
  and only values published at that moment;
* one reason for every withheld figure (``WITHHELD``): saying which figure is small and which one
  protects another would tell the second is at least the threshold (the pin above);
* a rate is published only over at least ``RATE_MIN`` issues, when both its part and the rest are
  at least ``threshold``, and, for the on-time rate, when its denominator (resolved) is published;
  rounded to whole percent; the satisfaction rate only where reported is published. The median
  working days to resolve is published over at least ``RATE_MIN`` resolved issues (so it tells that
  many were resolved, which the ranges include);
* one calendar year per table and no other filter: tables of a release never overlap, so no
  difference of two of them isolates a withheld count. The breakdowns share only their total (no
  township x category cross table); months partition the year like townships and categories do;
* released, never live (``yimi.stats.releases``): the figures are computed monthly and kept; between
  two releases nothing public changes, so a reader who reports an issue and reads again learns nothing.
  Two releases of a year can still be differenced, so each release is audited together with the
  previous release of its year, which is published knowledge:
  - a year is released again only when at least ``threshold`` more issues were reported in it since
    its previous release; otherwise that release stands, with its own date (a closed year's final
    release then repeats it). So the county's change is never a count of 1 to ``threshold - 1``;
  - the audit solves both releases together: each one's relations and published ranges, and between
    them what anyone may assume (reported and resolved counts do not go down; a month that had ended
    by the previous release keeps its reported count), with the change of every figure (this
    release's value minus the previous one's: a count of issues in a group over a period, a cross
    table) as a figure of its own. A change must read as 0, as at least ``threshold`` either way, or
    as a range of at least ``threshold`` values; every withheld figure of the previous release must
    keep a range of at least ``threshold`` values. Where one does not, the figure of this release
    that pins it is withheld (or, when already withheld, one more figure around it, as for a narrow
    range), and the rules run again. Only values the two releases publish are read;
  - when nothing is left to withhold (the year's total can only be withheld below the threshold),
    the previous release stands;
* a figure standing alone (enterprises served, visits) is withheld below ``threshold`` above what
  the tables already say it is at least (an enterprise served when an issue is published), and
  reads as that many values from there;
* the year's total reported is withheld only when below ``threshold`` (the audit never hides
  it): then every count of the year is at most ``threshold - 1``, and its ranges say so. Years
  with fewer issues than the threshold are not listed (``statistics_years``), so that the list
  does not tell a count of 1 to 4 from 0.
"""

from __future__ import annotations

import statistics as pystats
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from yimi.enterprises.models import Visit
from yimi.issues.deadlines import working_days_between
from yimi.issues.models import CONTENT_VALUES, OPEN_VALUES, RESOLVED_VALUES, Issue, IssueCategory
from yimi.stats.bounds import System
from yimi.townships.models import Township

THRESHOLD = 5
RATE_MIN = 10
MEASURES = ("reported", "open", "resolved", "overdue")
MONTH_LABELS = [f"{m}月" for m in range(1, 13)]
MONTH_LABELS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
CATEGORY_LABELS = {
    IssueCategory.FINANCING: ("融资", "Financing"),
    IssueCategory.LABOUR: ("用工", "Labour"),
    IssueCategory.LAND: ("用地", "Land"),
    IssueCategory.POWER: ("用电", "Power"),
    IssueCategory.PERMITS: ("审批", "Permits"),
    IssueCategory.LOGISTICS: ("物流", "Logistics"),
    IssueCategory.SALES: ("销售", "Sales"),
    IssueCategory.TALENT: ("人才", "Talent"),
    IssueCategory.ENVIRONMENT: ("环保", "Environment"),
    IssueCategory.POLICY: ("政策", "Policy"),
}


@dataclass
class Cell:
    """Exact figures of one group; ``shown`` lists the measures that may be published, ``low`` and
    ``high`` the published range of each (equal to the value when shown)."""

    reported: int = 0
    open: int = 0
    resolved: int = 0
    overdue: int = 0
    on_time: int = 0
    rated: int = 0
    content: int = 0
    shown: set[str] = field(default_factory=set)
    low: dict[str, int] = field(default_factory=dict)
    high: dict[str, int] = field(default_factory=dict)
    threshold: int = THRESHOLD
    # A group everyone knows is empty (a month that has not begun): published as it is.
    known: bool = False

    def add(self, other: Cell) -> None:
        for name in ("reported", "open", "resolved", "overdue", "on_time", "rated", "content"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def published(self, measure: str) -> int | None:
        """The count to publish, or None when withheld."""
        return getattr(self, measure) if measure in self.shown else None

    def bounds(self, measure: str) -> tuple[int, int]:
        """The published range: the value twice when published."""
        if measure in self.shown:
            value = getattr(self, measure)
            return value, value
        return self.low[measure], self.high[measure]

    @property
    def on_time_rate(self) -> float | None:
        # Its denominator must be published: a rate over a hidden count would give the count back.
        if "resolved" not in self.shown:
            return None
        return _rate(self.on_time, self.resolved, self.threshold)

    @property
    def satisfaction_rate(self) -> float | None:
        # Over the row's published reported only: it says at least RATE_MIN issues were rated.
        if "reported" not in self.shown:
            return None
        return _rate(self.content, self.rated, self.threshold)


def _rate(part: int, whole: int, threshold: int = THRESHOLD) -> float | None:
    """A share to publish: over at least RATE_MIN, with both the part and the rest at least the threshold
    (so that nothing small can be worked out from it), rounded to whole percent."""
    if whole < RATE_MIN or part < threshold or whole - part < threshold:
        return None
    return round(part / whole, 2)


@dataclass
class Row:
    key: str
    label: str
    cell: Cell
    # Human labels (a category's ``label`` is its enum name); empty: the same as ``label``.
    label_zh: str = ""
    label_en: str = ""


@dataclass
class Figure:
    """A count standing alone (no table): published, or withheld with its range."""

    value: int
    shown: bool
    low: int
    high: int

    def published(self) -> int | None:
        return self.value if self.shown else None


def standalone(value: int, threshold: int, at_least: int = 0) -> Figure:
    """Withheld when fewer than ``threshold`` values above what is known (``at_least``)."""
    if value >= at_least + threshold:
        return Figure(value, True, value, value)
    return Figure(value, False, at_least, at_least + threshold - 1)


@dataclass
class Statistics:
    county: str
    year: int
    threshold: int
    total: Cell
    by_township: list[Row]
    by_category: list[Row]
    by_month: list[Row]
    enterprises_served: Figure
    visits: Figure
    median_working_days: float | None = None
    # The figures hold until this instant (the next deadline of an open issue), or until data changes.
    valid_until: datetime | None = None
    # False when these figures may not be released beside the previous release of the year (see the
    # module's docstring): that release stands.
    released: bool = True

    @property
    def breakdowns(self) -> list[list[Row]]:
        return [self.by_township, self.by_category, self.by_month]

    def groups(self) -> list[tuple[str, Cell]]:
        """(group key, cell) in ``_cells`` order: ``total:ALL``, ``township:<code>``, ``category:<name>``,
        ``month:<YYYY-MM>``."""
        return group_cells(self.total, self.breakdowns)

    def exact(self) -> dict[str, dict[str, int]]:
        """The true counts of every group (kept privately with a release, for the next release's audit)."""
        return {key: {m: getattr(cell, m) for m in MEASURES} for key, cell in self.groups()}


TABLES = ("township", "category", "month")


def group_cells(total: Cell, breakdowns: list[list[Row]]) -> list[tuple[str, Cell]]:
    return [("total:ALL", total)] + [
        (f"{table}:{row.key}", row.cell) for table, rows in zip(TABLES, breakdowns, strict=True) for row in rows
    ]


IDENTITY = ("reported", "open", "resolved")  # reported = open + resolved
# The figure withheld with a lone withheld one in a row: a fixed rule, never a comparison of values.
COMPLEMENT = {"open": "resolved", "resolved": "open", "reported": "open"}


def _cells(total: Cell, breakdowns: list[list[Row]]) -> list[Cell]:
    """The total's cell, then every row's, breakdown after breakdown: the groups' order everywhere."""
    return [total, *(r.cell for rows in breakdowns for r in rows)]


def _primary(cell: Cell, threshold: int) -> None:
    cell.threshold = threshold
    cell.shown = set(MEASURES) if cell.known else {m for m in MEASURES if getattr(cell, m) >= threshold}


def _row_rule(cell: Cell) -> bool:
    """Of reported, open and resolved, never exactly one hidden: it would be the others' sum or difference."""
    hidden = [m for m in IDENTITY if m not in cell.shown]
    if len(hidden) != 1:
        return False
    cell.shown.discard(COMPLEMENT[hidden[0]])
    return True


def _preference(rows: list[Row], lone: int, i: int) -> tuple[int, int]:
    # lone = -1 (a relation of the total itself): ties go to the first row.
    return (-sum(m not in rows[i].cell.shown for m in MEASURES), (i - lone) % len(rows) if lone >= 0 else i)


def _companion(rows: list[Row], lone: int, measure: str | None = None) -> Row | None:
    """The row withheld with a lone withheld one: the published row (in ``measure``) with the most figures
    withheld already, ties going to the first after the lone one (wrapping round). The pattern alone decides."""
    candidates = [i for i in range(len(rows)) if i != lone and (measure is None or measure in rows[i].cell.shown)]
    if not candidates:
        return None
    return rows[min(candidates, key=lambda i: _preference(rows, lone, i))]


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
        companion = _companion(rows, hidden[0])
        assert companion is not None
        companion.cell.shown.discard(measure)
        changed = True
    return changed


def _companions(total: Cell, breakdowns: list[list[Row]]) -> None:
    """The row and column rules until neither hides anything more (each step only hides, so this ends)."""
    cells = _cells(total, breakdowns)
    changed = True
    while changed:
        rows_changed = [_row_rule(cell) for cell in cells]
        columns_changed = [_column_rule(total, rows) for rows in breakdowns]
        changed = any(rows_changed) or any(columns_changed)


@dataclass
class Link:
    """A figure of this release and the same figure of the previous release of the year (``Previous``)."""

    index: int  # the group in ``_cells`` order
    measure: str
    low: int  # as the previous release published it
    high: int
    change: int  # the true change since then (this release's value minus the previous one's)
    # Known not to change: the reported count of a month that had ended by the previous release.
    closed: bool = False


@dataclass
class Previous:
    """The previous release of the same year as the public knows it (``cells``, ``breakdowns``: its published
    figures, withheld ones with their ranges) and, privately, its true values (``exact``: group key, measure)."""

    as_of: datetime
    total: Cell
    breakdowns: list[list[Row]]
    exact: dict[str, dict[str, int]]


def _add_release(
    system: System, cells: list[Cell], breakdowns: list[list[Row]], ceiling: int, published_ranges: bool
) -> dict[tuple[int, str], int]:
    """One release's figures and relations; withheld figures range over 0..ceiling, or, for a release already
    published (``published_ranges``), over the range it published."""
    var: dict[tuple[int, str], int] = {}
    for index, cell in enumerate(cells):
        for m in MEASURES:
            if m in cell.shown:
                value = getattr(cell, m)
                var[index, m] = system.add(value, value)
            elif published_ranges:
                var[index, m] = system.add(cell.low[m], cell.high[m])
            else:
                var[index, m] = system.add(0, ceiling)
        system.equal([var[index, "reported"]], [var[index, "open"], var[index, "resolved"]])
        system.at_most(var[index, "overdue"], var[index, "open"])
    start = 1
    for rows in breakdowns:
        if rows:
            for m in MEASURES:
                system.equal([var[0, m]], [var[start + k, m] for k in range(len(rows))])
        start += len(rows)
    return var


def _ceiling(total: Cell, threshold: int) -> int:
    # No count exceeds the year's total; a withheld total is below the threshold (it is never a companion).
    return total.reported if "reported" in total.shown else threshold - 1


@dataclass
class Audit:
    """The relations the public knows: this release's, and with a previous release, its figures and the
    links between the two (``change`` variables: this release's figure minus the previous one's)."""

    system: System
    var: dict[tuple[int, str], int]
    earlier: dict[tuple[int, str], int] = field(default_factory=dict)  # withheld figures of the previous release
    change: dict[tuple[int, str], int] = field(default_factory=dict)


def _system(
    cells: list[Cell],
    breakdowns: list[list[Row]],
    threshold: int,
    resolved_at_least: int = 0,
    previous: Previous | None = None,
    links: list[Link] | None = None,
) -> Audit:
    """The relations the public knows between the figures (``cells`` as ``_cells`` lists them), with the
    published ones fixed."""
    total = cells[0]
    ceiling = _ceiling(total, threshold)
    system = System()
    var = _add_release(system, cells, breakdowns, ceiling, published_ranges=False)
    if resolved_at_least:
        system.raise_low(var[0, "resolved"], resolved_at_least)
    audit = Audit(system, var)
    if previous is None or not links:
        return audit
    earlier_cells = _cells(previous.total, previous.breakdowns)
    before = _add_release(
        system, earlier_cells, previous.breakdowns, _ceiling(previous.total, threshold), published_ranges=True
    )
    span = ceiling + _ceiling(previous.total, threshold)
    for link in links:
        then, now = before[link.index, link.measure], var[link.index, link.measure]
        if link.measure not in earlier_cells[link.index].shown:
            audit.earlier[link.index, link.measure] = then
        # What anyone may assume: issues are added, and resolved ones stay resolved. Only assumed where it
        # is true (an issue may be reopened, deleted or its enterprise moved), so that the audit sees every
        # figure as the true values allow.
        low = -span
        if link.measure in ("reported", "resolved") and link.change >= 0:
            low = 0
        if link.closed and link.change == 0:
            low = 0
        change = system.add(low, 0 if link.closed and link.change == 0 else span)
        system.equal([now], [then, change])
        audit.change[link.index, link.measure] = change
    return audit


def _ranges(
    total: Cell,
    breakdowns: list[list[Row]],
    threshold: int,
    resolved_at_least: int = 0,
    previous: Previous | None = None,
    links: list[Link] | None = None,
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Sets every withheld figure's range; returns the (group, measure) whose range is too narrow, and those
    that, with the previous release, pin one of its withheld figures or a small change."""
    cells = _cells(total, breakdowns)
    audit = _system(cells, breakdowns, threshold, resolved_at_least, previous, links)
    system, var = audit.system, audit.var
    hidden = [v for (i, m), v in var.items() if m not in cells[i].shown]
    feasible = system.tighten([*hidden, *audit.earlier.values(), *audit.change.values()])
    assert feasible, "the true figures satisfy every relation"
    narrow = []
    for (index, m), v in var.items():
        cell = cells[index]
        if m in cell.shown:
            continue
        low, high = system.low[v], system.high[v]
        cell.low[m], cell.high[m] = low, high
        if high - low + 1 < threshold:
            narrow.append((index, m))
    across = []
    for key, v in audit.earlier.items():
        if system.high[v] - system.low[v] + 1 < threshold:
            across.append(key)
    for key, v in audit.change.items():
        low, high = system.low[v], system.high[v]
        exact_and_small = low == high and 0 < abs(low) < threshold
        if exact_and_small or (low < high and high - low + 1 < threshold):
            across.append(key)
    return narrow, sorted(set(across) - set(narrow))


def _widen(total: Cell, breakdowns: list[list[Row]], narrow: list[tuple[int, str]]) -> bool:
    """Withholds one more published figure in each relation of each narrow figure (chosen by pattern)."""
    changed = False
    positions: list[tuple[list[Row], int]] = [(rows, k) for rows in breakdowns for k in range(len(rows))]
    for index, m in narrow:
        cell = total if index == 0 else positions[index - 1][0][positions[index - 1][1]].cell
        if m in IDENTITY:
            published = [x for x in IDENTITY if x in cell.shown and not (cell is total and x == "reported")]
            for x in published[:1]:
                cell.shown.discard(x)
                changed = True
        if index == 0:
            for rows in breakdowns:
                companion = _companion(rows, -1, m)
                if companion is not None:
                    companion.cell.shown.discard(m)
                    changed = True
        else:
            rows, k = positions[index - 1]
            if m in total.shown or any(m in r.cell.shown for r in rows):
                companion = _companion(rows, k, m)
                if companion is not None:
                    companion.cell.shown.discard(m)
                    changed = True
    return changed


def _pattern(total: Cell, breakdowns: list[list[Row]], threshold: int = THRESHOLD) -> None:
    """Primary suppression and the companion rules: which figures are withheld, from the pattern alone."""
    for cell in _cells(total, breakdowns):
        _primary(cell, threshold)
    _companions(total, breakdowns)


def _suppress(
    total: Cell,
    breakdowns: list[list[Row]],
    threshold: int = THRESHOLD,
    resolved_at_least: int = 0,
    previous: Previous | None = None,
    links: list[Link] | None = None,
) -> bool:
    """``_pattern``, then the range audit (which may withhold more, and the companion rules run again).

    With a previous release of the year, the audit covers both releases together. False when this release
    cannot be published beside it (nothing left to withhold): the previous release then stands."""
    _pattern(total, breakdowns, threshold)
    cells = _cells(total, breakdowns)
    while True:
        narrow, across = _ranges(total, breakdowns, threshold, resolved_at_least, previous, links)
        if not narrow and not across:
            return True
        changed = False
        for index, m in across:
            if index == 0 and m == "reported":
                return False  # the year's total is never withheld above the threshold
            if m in cells[index].shown:
                cells[index].shown.discard(m)  # published now, it would pin the previous release's figure
                changed = True
            else:
                narrow.append((index, m))
        if _widen(total, breakdowns, narrow):
            changed = True
        if not changed:
            if previous is not None:
                return False
            # Nothing left to withhold around them: withhold every figure but the year's total reported.
            for cell in cells:
                cell.shown &= {"reported"} if cell is total else set()
            _ranges(total, breakdowns, threshold, resolved_at_least)
            return True
        _companions(total, breakdowns)


# -- reading the figures ---------------------------------------------------------------------------


def year_bounds(year: int, timezone: str) -> tuple[datetime, datetime]:
    """The year in county time, as UTC instants (stored timestamps are UTC text on SQLite: see yimi.db)."""
    zone = ZoneInfo(timezone)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, end


def median_working_days(spans: Iterable[tuple[date, date]]) -> float | None:
    """Median of the Chinese working days from report to resolution (days after the report's date up to
    and including the resolution's, county time), over at least RATE_MIN resolved issues."""
    days = [working_days_between(reported, resolved) for reported, resolved in spans]
    if len(days) < RATE_MIN:
        return None
    return float(pystats.median(days))


def _links(total: Cell, breakdowns: list[list[Row]], previous: Previous, timezone: str) -> list[Link]:
    """This release's figures that the previous release published too (same group key)."""
    earlier = dict(group_cells(previous.total, previous.breakdowns))
    zone = ZoneInfo(timezone)
    links = []
    for index, (key, cell) in enumerate(group_cells(total, breakdowns)):
        then = earlier.get(key)
        exact = previous.exact.get(key)
        if then is None or exact is None:
            continue
        closed = False
        if key.startswith("month:"):
            year, month = (int(x) for x in key.removeprefix("month:").split("-"))
            closed = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone) <= previous.as_of
        for m in MEASURES:
            low, high = then.bounds(m)
            links.append(Link(index, m, low, high, getattr(cell, m) - exact[m], closed and m == "reported"))
    return links


def suppress_beside(
    total: Cell,
    breakdowns: list[list[Row]],
    threshold: int,
    resolved_at_least: int,
    previous: Previous | None,
    timezone: str,
) -> bool:
    """``_suppress``, with the previous release of the year when there is one; False when this release may not
    be published beside it (then that release stands)."""
    if previous is None:
        return _suppress(total, breakdowns, threshold, resolved_at_least)
    if total.reported - previous.exact["total:ALL"]["reported"] < threshold:
        return False  # fewer new issues than the threshold since then
    links = _links(total, breakdowns, previous, timezone)
    return _suppress(total, breakdowns, threshold, resolved_at_least, previous, links)


async def statistics(
    year: int, now: datetime, timezone: str, threshold: int = THRESHOLD, previous: Previous | None = None
) -> Statistics:
    """The figures of the issues reported in ``year`` (county time), withheld for publication; audited
    together with the ``previous`` release of the year when there is one."""
    township_rows = await Township.all().order_by("code").only("id", "code", "name", "county_name")
    zone = ZoneInfo(timezone)
    start, end = year_bounds(year, timezone)
    issues = await Issue.filter(reported_at__gte=start, reported_at__lt=end).values_list(
        "enterprise__township_id",
        "enterprise_id",
        "category",
        "status",
        "reported_at",
        "deadline",
        "resolved_at",
        "satisfaction",
    )
    total = Cell()
    per_township = {t.id: Cell() for t in township_rows}
    categories = list(IssueCategory)
    per_category = {c.value: Cell() for c in categories}
    per_month = [Cell() for _ in range(12)]
    open_values = set(OPEN_VALUES)
    spans: list[tuple[date, date]] = []
    enterprises: set[int] = set()
    valid_until: datetime | None = None
    for township_id, enterprise_id, category, status, reported_at, deadline, resolved_at, satisfaction in issues:
        status = str(getattr(status, "value", status))
        satisfaction = None if satisfaction is None else str(getattr(satisfaction, "value", satisfaction))
        is_open = status in open_values
        is_resolved = status in RESOLVED_VALUES
        cell = Cell(
            reported=1,
            open=int(is_open),
            resolved=int(is_resolved),
            overdue=int(is_open and deadline <= now),
            on_time=int(is_resolved and resolved_at is not None and resolved_at <= deadline),
            rated=int(satisfaction is not None),
            content=int(satisfaction in CONTENT_VALUES),
        )
        if is_open and deadline > now and (valid_until is None or deadline < valid_until):
            valid_until = deadline  # the overdue counts change then
        if is_resolved and resolved_at is not None:
            spans.append((reported_at.astimezone(zone).date(), resolved_at.astimezone(zone).date()))
        enterprises.add(enterprise_id)
        total.add(cell)
        per_township[township_id].add(cell)
        per_category[str(getattr(category, "value", category))].add(cell)
        per_month[reported_at.astimezone(zone).month - 1].add(cell)

    by_township = [Row(t.code, t.name, per_township[t.id]) for t in township_rows]
    by_category = [Row(c.value, c.name, per_category[c.value], *CATEGORY_LABELS[c]) for c in categories]
    by_month = [
        Row(f"{year}-{m:02d}", MONTH_LABELS[m - 1], per_month[m - 1], MONTH_LABELS[m - 1], MONTH_LABELS_EN[m - 1])
        for m in range(1, 13)
    ]
    for m, row in enumerate(by_month, start=1):
        begins = datetime(year, m, 1, tzinfo=zone)
        if begins > now:
            # Nothing can have been reported in a month that has not begun: everyone knows its counts are 0,
            # so they are published (withheld, they would only seem to widen the months that have begun).
            row.cell.known = row.cell.reported == 0
            valid_until = begins if valid_until is None else min(valid_until, begins)
    # Published over enough issues that the least it implies (RATE_MIN resolved) leaves the range wide.
    median = median_working_days(spans) if total.reported >= RATE_MIN + 2 * threshold else None
    breakdowns = [by_township, by_category, by_month]
    at_least = RATE_MIN if median is not None else 0
    released = suppress_beside(total, breakdowns, threshold, at_least, previous, timezone)

    visit_rows = await Visit.filter(visited_on__gte=date(year, 1, 1), visited_on__lt=date(year + 1, 1, 1)).values_list(
        "enterprise_id", flat=True
    )
    enterprises.update(visit_rows)  # type: ignore[arg-type]
    known_served = 1 if "reported" in total.shown else 0  # a published issue was raised by an enterprise
    county = township_rows[0].county_name if township_rows else ""
    return Statistics(
        county=county,
        year=year,
        threshold=threshold,
        total=total,
        by_township=by_township,
        by_category=by_category,
        by_month=by_month,
        median_working_days=median,
        enterprises_served=standalone(len(enterprises), threshold, known_served),
        visits=standalone(len(visit_rows), threshold),
        valid_until=valid_until,
        released=released,
    )


async def statistics_years(timezone: str, threshold: int = THRESHOLD) -> list[int]:
    """Years (county time) with at least ``threshold`` issues reported, ascending."""
    first = await Issue.all().order_by("reported_at").first()
    last = await Issue.all().order_by("-reported_at").first()
    if first is None or last is None:
        return []
    zone = ZoneInfo(timezone)
    years = []
    for year in range(first.reported_at.astimezone(zone).year, last.reported_at.astimezone(zone).year + 1):
        start, end = year_bounds(year, timezone)
        count = await Issue.filter(reported_at__gte=start, reported_at__lt=end).count()
        if count >= threshold:
            years.append(year)
    return years
