"""Service-team queries and the coverage matrix (township × issue category)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from yimi.issues.models import IssueCategory
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamKind
from yimi.townships.models import Township


@dataclass
class TeamCriteria:
    kinds: list[TeamKind] | None = None
    township_codes: list[str] | None = None
    speciality: IssueCategory | None = None
    search: str | None = None


async def team_queryset(criteria: TeamCriteria) -> QuerySet[ServiceTeam]:
    qs = ServiceTeam.all()
    c = criteria
    if c.kinds:
        qs = qs.filter(kind__in=[k.value for k in c.kinds])
    if c.township_codes is not None:
        qs = qs.filter(id__in=Subquery(TeamCoverage.filter(township__code__in=c.township_codes).values("team_id")))
    if c.speciality is not None:
        # Specialities are a short JSON list; matching in Python keeps SQLite and PostgreSQL alike.
        ids = [t.id for t in await ServiceTeam.all().only("id", "specialities") if c.speciality.value in t.specialities]
        qs = qs.filter(id__in=ids)
    if c.search:
        qs = qs.filter(Q(name__icontains=c.search.strip()))
    return qs.order_by("id")


@dataclass
class CategoryCoverage:
    category: IssueCategory
    team_ids: list[int]

    @property
    def covered(self) -> bool:
        return bool(self.team_ids)


@dataclass
class TownshipCoverage:
    township: Township
    team_ids: list[int]
    categories: list[CategoryCoverage]


async def coverage_matrix(townships: list[Township]) -> list[TownshipCoverage]:
    """For each township: the teams covering it and, per category, which of them handle it."""
    links = await TeamCoverage.filter(township_id__in=[t.id for t in townships]).values_list("township_id", "team_id")
    specialities = dict(await ServiceTeam.all().values_list("id", "specialities"))
    teams_by_township: dict[int, list[int]] = defaultdict(list)
    for township_id, team_id in links:
        teams_by_township[township_id].append(team_id)
    result = []
    for township in townships:
        team_ids = sorted(teams_by_township.get(township.id, []))
        categories = [
            CategoryCoverage(category, [t for t in team_ids if category.value in specialities.get(t, [])])
            for category in IssueCategory
        ]
        result.append(TownshipCoverage(township, team_ids, categories))
    return result
