"""Province-scale issues, in chunks: visits, issues, dispatch orders and events as row tuples.

A million issues with their timelines do not fit in memory as dicts, so they are made a chunk at a
time (``ProvinceConfig.chunk_issues``) and written before the next. ``plan_chunks`` spreads the issues
over the working days with the county demo's day weights (no randomness: the per-day counts follow
from the sizes), and cuts the days into chunks. Each chunk draws from its own ``random.Random``, so a
chunk's rows depend only on the seed, the chunk's index and the fixed data: the same in any process
and in any order. The issues themselves come from the county demo's ``IssueFactory`` (templates,
workflow, timelines, actors, notes); ``ProvinceIssueFactory`` only replaces what is linear in the
number of enterprises or teams with precomputed look-ups.

Issue ids are fixed by the plan; visit ids are numbered by the writer (``ChunkRows`` carries local
ones), and dispatch orders and events get theirs from the database, in insertion order.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from yimi.demo.clock import DAY_MINUTES, OPENING
from yimi.demo.generator import (
    COLOUR_WEIGHTS,
    OLD_STATUS_WEIGHTS,
    RECENT_STATUS_WEIGHTS,
    Issue,
    IssueFactory,
    Row,
    day_weight,
)
from yimi.demo.province import ProvinceBase, ProvinceConfig, _allocate
from yimi.demo.templates import IssueTemplate
from yimi.issues.models import OPEN_STATUSES, IssueCategory
from yimi.issues.warning import thresholds

VISIT_COLUMNS = ("id", "enterprise_id", "team_id", "commissioner_id", "visited_on", "notes")
ISSUE_COLUMNS = (
    "id",
    "number",
    "enterprise_id",
    "category",
    "title",
    "description",
    "source",
    "priority",
    "status",
    "reported_at",
    "deadline",
    "yellow_at",
    "orange_at",
    "lead_team_id",
    "resolution",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "satisfaction_comment",
    "escalated_at",
    "visit_id",
    "version",
)
ISSUE_NUMBER, ISSUE_VISIT = ISSUE_COLUMNS.index("number"), ISSUE_COLUMNS.index("visit_id")
ORDER_COLUMNS = (
    "issue_id",
    "team_id",
    "role",
    "instruction",
    "dispatched_at",
    "due_at",
    "accepted_at",
    "returned_at",
    "return_reason",
    "dispatched_by_id",
)
EVENT_COLUMNS = ("issue_id", "actor_id", "action", "from_status", "to_status", "note", "created_at")
BANK_NAMES = ("中国农业银行", "中国银行", "中国建设银行", "中原银行", "邮储银行", "农商银行")


@dataclass(frozen=True)
class Chunk:
    index: int
    first_id: int  # the id of its first issue
    days: tuple[tuple[date, int], ...]  # (working day, issues reported that day)

    @property
    def size(self) -> int:
        return sum(n for _, n in self.days)


@dataclass
class ChunkRows:
    """One chunk's rows, in the column orders above. Visit ids (and issues' visit_id) count from 1
    within the chunk; the issue number is None (``number_issues`` fills both in)."""

    chunk: Chunk
    visits: list[tuple] = field(default_factory=list)
    issues: list[tuple] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # the year each issue was reported (local time)
    counties: list[str] = field(default_factory=list)  # the county code of each issue's enterprise
    orders: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)


class ProvinceIssueFactory(IssueFactory):
    """The county's IssueFactory over a province: the same issues, with look-ups that stay fast for
    100,000 enterprises and 300 teams."""

    def __init__(self, config: ProvinceConfig, today: date, base: ProvinceBase):
        super().__init__(
            random.Random(config.seed),
            config.county,
            today,
            base.townships,
            base.staff,
            base.teams,
            base.enterprises,
        )
        self.province = config
        self.enterprise_cum = list(itertools.accumulate(self.enterprise_weights))
        self.industrial_cum = list(itertools.accumulate(self.industrial_weights))
        self._inactive: dict[date, set[int]] = {}
        # The teams working in each city, for co-handlers when the township's own teams do not do.
        city_of_township = {t["id"]: base.city_of_county[t["county_code"]] for t in base.townships}
        self.city_of_township = city_of_township
        city_teams: dict[str, set[int]] = defaultdict(set)
        for c in base.teams.coverage:
            city_teams[city_of_township[c["township_id"]]].add(c["team_id"])
        self.city_teams = {city: sorted(teams) for city, teams in city_teams.items()}
        self._city_teams_for: dict[tuple[str, str], list[int]] = {}
        self.county_short = {t["county_code"]: t["county_name"].removesuffix("县") for t in base.townships}
        self._teams_for: dict[tuple[int, str], list[int]] = {}
        self._leads: dict[tuple[int, str, frozenset[int]], tuple[list[int], list[float]]] = {}
        self._constant_weights = {
            id(w): (list(w), list(itertools.accumulate(w.values())))
            for w in (RECENT_STATUS_WEIGHTS, OLD_STATUS_WEIGHTS, COLOUR_WEIGHTS)
        }
        self.day_utc = [datetime.combine(d, OPENING, tzinfo=self.zone).astimezone(UTC) for d in self.clock.days]

    # -- look-ups made fast ----------------------------------------------------------------

    def pick_enterprise(self, template: IssueTemplate) -> Row:
        if template.chain and self.by_chain.get(template.chain):
            return self.rng.choice(self.by_chain[template.chain])
        if template.category == IssueCategory.ENVIRONMENT:
            return self.rng.choices(self.industrial, cum_weights=self.industrial_cum)[0]
        return self.rng.choices(self.enterprises, cum_weights=self.enterprise_cum)[0]

    def inactive_on(self, day: date) -> set[int]:
        inactive = self._inactive.get(day)
        if inactive is None:
            inactive = self._inactive[day] = super().inactive_on(day)
        return inactive

    def teams_for(self, township_id: int, category: IssueCategory) -> list[int]:
        # Keyed by the enum's value: hashing an Enum member runs Python code.
        key = (township_id, category._value_)
        teams = self._teams_for.get(key)
        if teams is None:
            teams = self._teams_for[key] = super().teams_for(township_id, category)
        return teams

    def pick_lead(self, township_id: int, category: IssueCategory, exclude: set[int]) -> int:
        """As the county's, with the candidates and weights remembered per township, category and
        exclusion."""
        key = (township_id, category._value_, frozenset(exclude))
        entry = self._leads.get(key)
        if entry is None:
            candidates, weights = self.lead_candidates(township_id, category, exclude)
            entry = self._leads[key] = (candidates, list(itertools.accumulate(weights)))
        return self.rng.choices(entry[0], cum_weights=entry[1])[0]

    def _weighted(self, weights: dict):
        cached = self._constant_weights.get(id(weights))
        if cached is None:
            return super()._weighted(weights)
        return self.rng.choices(cached[0], cum_weights=cached[1])[0]

    def nearby_teams_for(self, township_id: int, category: IssueCategory) -> list[int]:
        """The teams of the township's city handling the category (not the whole province's)."""
        key = (self.city_of_township[township_id], category._value_)
        teams = self._city_teams_for.get(key)
        if teams is None:
            teams = self._city_teams_for[key] = [
                t for t in self.city_teams[key[0]] if category.value in self.teams[t]["specialities"]
            ]
        return teams

    def fill(self, text: str, enterprise: Row, team_id: int | None = None, numbers: dict | None = None) -> str:
        values = dict(numbers or {})
        if "bank" not in values:
            county = self.county_short[self.townships[enterprise["township_id"]]["county_code"]]
            values["bank"] = f"{BANK_NAMES[enterprise['id'] % len(BANK_NAMES)]}{county}支行"
        return super().fill(text, enterprise, team_id, values)

    def utc_at(self, index: int, second: int = 0) -> datetime:
        """``utc(clock.to_datetime(index, second))``, without the time-zone arithmetic."""
        return self.day_utc[index // DAY_MINUTES] + timedelta(minutes=index % DAY_MINUTES, seconds=second)

    # -- chunks ----------------------------------------------------------------------------

    def plan_chunks(self) -> list[Chunk]:
        """The working days, each with its number of issues, cut into chunks of about ``chunk_issues``."""
        weights = [day_weight(d, self.recent_start) for d in self.days]
        counts = _allocate(self.province.n_issues, weights)
        chunks: list[Chunk] = []
        days: list[tuple[date, int]] = []
        first_id = 1
        size = 0
        for day, n in zip(self.days, counts, strict=True):
            if n:
                days.append((day, n))
                size += n
            if size >= self.province.chunk_issues:
                chunks.append(Chunk(len(chunks), first_id, tuple(days)))
                first_id += size
                days, size = [], 0
        if days:
            chunks.append(Chunk(len(chunks), first_id, tuple(days)))
        return chunks

    def generate_chunk(self, chunk: Chunk) -> ChunkRows:
        self.rng = rng = self.province.rng("issues", chunk.index)
        self.visits = []
        issues: list[Issue] = []
        seq = chunk.first_id
        for day, n in chunk.days:
            recent = day >= self.recent_start
            for _ in range(n):
                status = self._weighted(RECENT_STATUS_WEIGHTS if recent else OLD_STATUS_WEIGHTS)
                colour = self._weighted(COLOUR_WEIGHTS) if recent and status in OPEN_STATUSES else None
                issue = self.make_issue(seq, day, status, colour, recent)
                self.resolve_events(issue)
                issues.append(issue)
                seq += 1
        # Visits with no issue, so that visits come to about visits_per_enterprise in all.
        extra = round(chunk.size * self.province.n_visits / max(1, self.province.n_issues)) - len(self.visits)
        chunk_days = [d for d, _ in chunk.days]
        chunk_weights = list(itertools.accumulate(n for _, n in chunk.days))
        for _ in range(max(0, extra)):
            e = rng.choices(self.enterprises, cum_weights=self.enterprise_cum)[0]
            self.visit_for(e, rng.choices(chunk_days, cum_weights=chunk_weights)[0])
        return self.rows(chunk, issues)

    def rows(self, chunk: Chunk, issues: Sequence[Issue]) -> ChunkRows:
        out = ChunkRows(chunk)
        visits = sorted(self.visits, key=lambda v: (v.day, v.enterprise["id"]))
        for i, v in enumerate(visits, start=1):
            v.id = i
            out.visits.append((i, v.enterprise["id"], v.team_id, v.commissioner_id, v.day, v.notes))
        ordered = sorted(issues, key=lambda x: (x.reported, x.events[0].second, x.seq))
        warn = (self.config.warn_yellow_at, self.config.warn_orange_at)
        resolved = ("resolved", "closed")
        for issue_id, issue in enumerate(ordered, start=chunk.first_id):
            seconds = {e.at: e.second for e in issue.events}

            def when(index: int | None, seconds=seconds) -> datetime | None:
                return None if index is None else self.utc_at(index, seconds.get(index, 0))

            reported_at = self.utc_at(issue.reported, issue.events[0].second)
            deadline = issue.deadline.astimezone(UTC)
            yellow_at, orange_at = thresholds(reported_at, deadline, *warn)
            status = issue.status._value_
            out.years.append(self.clock.date_of(issue.reported).year)
            out.counties.append(self.townships[issue.enterprise["township_id"]]["county_code"])
            out.issues.append(
                (
                    issue_id,
                    None,
                    issue.enterprise["id"],
                    issue.category._value_,
                    issue.title,
                    issue.description,
                    issue.source._value_,
                    issue.priority._value_,
                    status,
                    reported_at,
                    deadline,
                    yellow_at,
                    orange_at,
                    issue.lead_team,
                    issue.resolution,
                    when(issue.resolved_at) if status in resolved else None,
                    when(issue.closed_at) if status == "closed" else None,
                    issue.satisfaction._value_ if issue.satisfaction else None,
                    issue.satisfaction_comment,
                    when(issue.escalated_at),
                    issue.visit.id if issue.visit else None,
                    len(issue.events),
                )
            )
            for o in issue.orders:
                out.orders.append(
                    (
                        issue_id,
                        o.team_id,
                        o.role._value_,
                        o.instruction,
                        when(o.dispatched),
                        deadline,
                        when(o.accepted),
                        when(o.returned),
                        o.return_reason,
                        o.dispatched_by,
                    )
                )
            for e in issue.events:
                out.events.append(
                    (
                        issue_id,
                        e.actor,
                        e.action._value_,
                        e.from_status._value_ if e.from_status else None,
                        e.to_status._value_ if e.to_status else None,
                        e.note,
                        self.utc_at(e.at, e.second),
                    )
                )
        return out


class IssueNumbers:
    """Numbers issues ``<county code>-<year>-<sequence in the county and year>`` (410223-2026-00042)
    and moves chunk-local visit ids, chunk after chunk, in the order the chunks are written.

    Each county numbers its own issues: a province reports some 150,000 a year, more than the five
    digits of the app's ``<prefix>-<year>-<sequence>`` numbers hold, and numbers of another form
    stay out of the range the app allocates from, so ``reportIssue`` goes on numbering from 00001.
    """

    def __init__(self, first_visit_id: int = 1):
        self.per_county_year: dict[tuple[str, int], int] = defaultdict(int)
        self.next_visit = first_visit_id

    def apply(self, rows: ChunkRows) -> tuple[list[tuple], list[tuple]]:
        """The chunk's visits and issues with their final ids and numbers."""
        base = self.next_visit - 1
        visits = [(base + v[0], *v[1:]) for v in rows.visits]
        self.next_visit += len(visits)
        issues = []
        for row, year, county in zip(rows.issues, rows.years, rows.counties, strict=True):
            self.per_county_year[county, year] += 1
            visit = row[ISSUE_VISIT]
            issues.append(
                (
                    row[0],
                    f"{county}-{year}-{self.per_county_year[county, year]:05d}",
                    *row[2:ISSUE_VISIT],
                    None if visit is None else base + visit,
                    *row[ISSUE_VISIT + 1 :],
                )
            )
        return visits, issues
