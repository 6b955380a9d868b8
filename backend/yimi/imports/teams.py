"""Lists of service teams (服务团): name, kind, lead department, leader, members, specialities and
the townships each serves. A team's parent must be in the database or on an earlier row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient

from yimi.accounts.models import Department
from yimi.imports import values as v
from yimi.imports.base import Checker, KindImporter, Outcome, Row, differing
from yimi.imports.enterprises import People
from yimi.imports.places import Places
from yimi.teams.models import ServiceTeam, TeamCoverage, TeamKind, TeamMember

FIELDS = ("kind", "parent", "lead_department", "leader_id", "specialities", "members", "townships")


class TeamImporter(KindImporter):
    kind = "teams"

    async def prepare(self, conn: BaseDBAsyncClient) -> None:
        self.places = await Places.load(conn)
        self.people = await People.load(conn)
        self.seen: dict[str, int] = {}

    async def check(self, rows: Sequence[Row], conn: BaseDBAsyncClient) -> list[Outcome]:
        names = [v.text(r.cells.get("name")) for r in rows]
        existing = {t.name: t for t in await ServiceTeam.filter(name__in=names).using_db(conn)}
        known_parents = set(existing) | set(self.seen)
        parents = {v.text(r.cells.get("parent")) for r in rows} - {""} - known_parents
        found = await ServiceTeam.filter(name__in=list(parents)).using_db(conn).values_list("name", flat=True)
        # Tortoise types values_list(flat=True) as tuples; it gives the values themselves.
        known_parents |= set(cast(list[str], found))
        current = await self._current(list(existing.values()), conn)
        outcomes = []
        for row in rows:
            values = self._values(row, known_parents)
            if row.rejected:
                continue
            known_parents.add(values["name"])
            team = existing.get(values["name"])
            if team is None:
                outcomes.append(Outcome(row, "create", values))
                continue
            old = current[team.id]
            changed = differing({k: values[k] for k in FIELDS}, old)
            if outcome := self.compared(row, values, team.id, changed, "name"):
                outcomes.append(outcome)
        return outcomes

    def _values(self, row: Row, known_parents: set[str]) -> dict[str, Any]:
        c = Checker(self.ctx, row)
        name = c.text("name", 64, required=True)
        if name:
            first = self.seen.setdefault(name, row.number)
            if first != row.number:
                c.error("name", f"the same team as row {first} of this file")
        parent = c.text("parent", 64) or None
        if parent and parent not in known_parents:
            c.error("parent", "no such team in the database or on an earlier row")
        kind = c.parse("kind", v.TEAM_KIND, TeamKind.JOINT if parent else TeamKind.SPECIALISED)
        leader = c.text("leader", 64)
        leader_id = self.people.find(leader) if leader else None
        if leader and leader_id is None:
            c.warn("leader", "no such member of staff (username or name): the team has no leader for now")
        members = []
        for person in v.split_list(c.raw("members")):
            staff_id = self.people.find(person)
            if staff_id is None:
                c.warn("members", "no such member of staff (username or name): left out", person)
            else:
                members.append(staff_id)
        specialities = []
        for word in v.split_list(c.raw("specialities")):
            try:
                specialities.append(v.CATEGORY(word).value)
            except v.BadValue as error:
                c.error("specialities", str(error), word)
        townships = []
        for place in v.split_list(c.raw("townships")):
            try:
                townships.append(self.places.find(place).id)
            except v.BadValue as error:
                c.error("townships", str(error), place)
        return {
            "name": name,
            "kind": kind,
            "parent": parent,
            "lead_department": c.text("lead_department", 64, required=True),
            "leader_id": leader_id,
            "specialities": list(dict.fromkeys(specialities)),
            "members": sorted(set(members)),
            "townships": sorted(set(townships)),
        }

    async def _current(self, teams: list[ServiceTeam], conn: BaseDBAsyncClient) -> dict[int, dict[str, Any]]:
        """The stored teams as the file's columns give them (what a re-import compares), by id."""
        ids = [t.id for t in teams]
        parent_ids = [t.parent_id for t in teams if t.parent_id is not None]
        parents = dict(await ServiceTeam.filter(id__in=parent_ids).using_db(conn).values_list("id", "name"))
        department_ids = [t.lead_department_id for t in teams]
        departments = dict(await Department.filter(id__in=department_ids).using_db(conn).values_list("id", "name"))
        members: dict[int, list[int]] = {}
        for team_id, staff_id in (
            await TeamMember.filter(team_id__in=ids).using_db(conn).values_list("team_id", "staff_id")
        ):
            members.setdefault(team_id, []).append(staff_id)
        townships: dict[int, list[int]] = {}
        coverage = await TeamCoverage.filter(team_id__in=ids).using_db(conn).values_list("team_id", "township_id")
        for team_id, township_id in coverage:
            townships.setdefault(team_id, []).append(township_id)
        return {
            t.id: {
                "kind": t.kind,
                "parent": parents.get(t.parent_id),
                "lead_department": departments[t.lead_department_id],
                "leader_id": t.leader_id,
                "specialities": list(t.specialities),
                "members": sorted(members.get(t.id, [])),
                "townships": sorted(townships.get(t.id, [])),
            }
            for t in teams
        }

    async def write(self, outcomes: Sequence[Outcome], conn: BaseDBAsyncClient) -> None:
        # A few dozen teams: one at a time, parents before the sub-teams that name them.
        for o in outcomes:
            values = o.values
            department, _ = await Department.get_or_create(name=values["lead_department"], using_db=conn)
            parent = (
                await ServiceTeam.filter(name=values["parent"]).using_db(conn).first() if values["parent"] else None
            )
            fields = {
                "kind": values["kind"],
                "parent_id": parent.id if parent else None,
                "lead_department_id": department.id,
                "leader_id": values["leader_id"],
                "specialities": values["specialities"],
            }
            if o.action == "create":
                team = await ServiceTeam.create(name=values["name"], using_db=conn, **fields)
            else:
                team = await ServiceTeam.filter(id=o.existing_id).using_db(conn).get()
                await ServiceTeam.filter(id=team.id).using_db(conn).update(**fields)
                await TeamMember.filter(team_id=team.id).using_db(conn).delete()
                await TeamCoverage.filter(team_id=team.id).using_db(conn).delete()
            await TeamMember.bulk_create(
                [TeamMember(team_id=team.id, staff_id=s) for s in values["members"]], using_db=conn
            )
            await TeamCoverage.bulk_create(
                [TeamCoverage(team_id=team.id, township_id=t) for t in values["townships"]], using_db=conn
            )
