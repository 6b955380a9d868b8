"""Problem ledgers (问题清单 / 台账): one issue per row, with the status and dates the row gives.

A ledger row says where a problem stands, not how it got there. The importer writes the issue with
that status and dates, and a plausible timeline that the workflow (issues/workflow.py) accepts:
reported at 反映时间, dispatched to the 责任单位 within the hour (sooner if it was resolved sooner),
accepted, resolved at 办结时间, confirmed at 销号时间 with the 满意度. Every event is marked as
imported and its note names the file, the row and who imported it, so that the figures, deadlines
and warnings work on the history while nobody mistakes it for what someone did in Yimi.

Re-importing finds an issue by its ledger number (编号), else by enterprise, 反映时间 and title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from yimi.common.text import MAX_DESCRIPTION, MAX_NOTE, MAX_SUMMARY, MAX_TITLE
from yimi.enterprises.models import Enterprise
from yimi.imports import values as v
from yimi.imports.base import Checker, KindImporter, Outcome, Row, differing
from yimi.imports.ids import IdBlock
from yimi.issues.deadlines import CLOSE_OF_BUSINESS, DeadlineRules, deadline_for
from yimi.issues.models import (
    DispatchOrder,
    DispatchRole,
    Issue,
    IssueEvent,
    IssuePriority,
    IssueSource,
    IssueStatus,
    Satisfaction,
)
from yimi.issues.service import CO_HANDLER_RETURN_REASON, SATISFACTION_LABELS, SOURCE_LABELS
from yimi.issues.warning import thresholds
from yimi.issues.workflow import Action, next_status
from yimi.teams.models import ServiceTeam

S = IssueStatus
# A date without a time of day: reported in the morning, resolved in the afternoon.
REPORTED_TIME = time(9, 0)
RESOLVED_TIME = time(17, 0)
# How long after the report the centre dispatches and the team accepts, at most.
STEP = timedelta(hours=1)
RETURN_AFTER = timedelta(days=1)
FIELDS = (
    "enterprise_id",
    "category",
    "title",
    "description",
    "source",
    "priority",
    "status",
    "reported_at",
    "deadline",
    "lead_team_id",
    "resolution",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "satisfaction_comment",
)
RETURN_REASON = "台账记录为已退单。"
TITLE_FROM_DESCRIPTION = 30


@dataclass
class Plan:
    """What one row becomes: the issue's fields, its events and its dispatch orders."""

    issue: dict[str, Any]
    events: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    co_handlers: tuple[int, ...]


class IssueImporter(KindImporter):
    kind = "issues"

    async def prepare(self, conn: BaseDBAsyncClient) -> None:
        tz = self.ctx.settings.timezone
        self.tz = tz
        self.rules = DeadlineRules.from_settings(self.ctx.settings)
        teams = await ServiceTeam.all().using_db(conn).values_list("id", "name", "lead_department__name")
        self.team_by_name = {name: i for i, name, _ in teams}
        by_department: dict[str, list[int]] = {}
        for i, _, department in teams:
            by_department.setdefault(department, []).append(i)
        self.team_by_department = {d: ids[0] for d, ids in by_department.items() if len(ids) == 1}
        self.teams_of_department = by_department
        self.team_names = {i: name for i, name, _ in teams}
        self.seen: dict[str, int] = {}
        self.numbers = Numbering(self.ctx.settings.issue_number_prefix, tz)
        self.issue_ids = IdBlock(Issue)
        self.event_ids = IdBlock(IssueEvent)
        self.order_ids = IdBlock(DispatchOrder)

    # ---------------------------------------------------------------------------------- checks

    async def check(self, rows: Sequence[Row], conn: BaseDBAsyncClient) -> list[Outcome]:
        enterprises = await self._enterprises(rows, conn)
        checked = [(row, self._values(row, enterprises)) for row in rows]
        good = [(row, values) for row, values in checked if not row.rejected]
        existing = await self._existing([values for _, values in good], conn)
        outcomes = []
        for row, values in good:
            old = existing.get(values["_key"])
            if old is None:
                outcomes.append(Outcome(row, "create", values))
                continue
            compared = {k: values[k] for k in FIELDS}
            changed = differing(compared, old)
            if tuple(sorted(values["_co"])) != old["_co"]:
                changed.append("co_handlers")
            column = "number" if values["ledger_number"] else "description"
            outcome = self.compared(row, values, old["id"], changed, column, f" as {old['number']}")
            if outcome is not None:
                if outcome.action == "update":
                    values["number"] = old["number"]
                outcomes.append(outcome)
        return outcomes

    async def _enterprises(self, rows: Sequence[Row], conn: BaseDBAsyncClient) -> dict[str, list[dict]]:
        codes = {v.text(r.cells.get("uscc")).upper() for r in rows} - {""}
        names = {v.text(r.cells.get("enterprise")) for r in rows} - {""}
        found: dict[str, list[dict]] = {}
        q = Q(uscc__in=list(codes)) | Q(name__in=list(names))
        for e in await Enterprise.filter(q).using_db(conn).values("id", "name", "uscc", "township__name"):
            found.setdefault(e["uscc"], []).append(e)
            found.setdefault(e["name"], []).append(e)
        return found

    def _values(self, row: Row, enterprises: dict[str, list[dict]]) -> dict[str, Any]:
        c = Checker(self.ctx, row)
        tz = self.tz
        values: dict[str, Any] = {}
        values["enterprise_id"] = self._enterprise(c, enterprises)
        ledger_number = c.text("number", 64) or None
        values["ledger_number"] = ledger_number
        if ledger_number:
            first = self.seen.setdefault(ledger_number, row.number)
            if first != row.number:
                c.error("number", f"the same number as row {first} of this file")
        values["category"] = c.parse("category", v.CATEGORY, required=True)
        values["description"] = c.text("description", MAX_DESCRIPTION, required=True)
        title = c.text("title", MAX_TITLE)
        values["title"] = title or _title_from(values["description"])
        values["source"] = c.parse("source", v.SOURCE, IssueSource.VISIT)
        values["priority"] = c.parse("priority", v.PRIORITY, IssuePriority.NORMAL)
        reported = c.parse("reported_at", lambda x: v.instant(x, tz, REPORTED_TIME), required=True)
        if reported and reported > self.ctx.now:
            c.error("reported_at", "in the future")
        values["reported_at"] = reported
        deadline = c.parse("deadline", lambda x: self._deadline(x, reported))
        if deadline is None and reported and values["category"]:
            deadline = deadline_for(reported, values["category"], values["priority"], tz, self.rules)
        if deadline and reported and deadline <= reported:
            c.error("deadline", "not after 反映时间 (the time it was reported)")
        values["deadline"] = deadline
        lead = self._team(c, "lead_team", c.text("lead_team", 64))
        co = [self._team(c, "co_handlers", name) for name in v.split_list(c.raw("co_handlers"))]
        values["_co"] = tuple(t for t in co if t is not None and t != lead)
        resolved = c.parse("resolved_at", lambda x: v.instant(x, tz, RESOLVED_TIME))
        closed = c.parse("closed_at", lambda x: v.instant(x, tz, RESOLVED_TIME))
        satisfaction = c.parse("satisfaction", v.SATISFACTION)
        status = c.parse("status", v.STATUS)
        if status is None and c.raw("status") is None:
            status = S.RESOLVED if resolved else S.IN_PROGRESS if lead else S.REPORTED
        if status in (S.RESOLVED, S.CLOSED) and satisfaction in (
            Satisfaction.SATISFIED,
            Satisfaction.BASICALLY_SATISFIED,
        ):
            status = S.CLOSED  # 已办结 and 满意: the enterprise confirmed, the issue is closed (销号)
        if status == S.CLOSED and satisfaction == Satisfaction.UNSATISFIED:
            c.error("satisfaction", "an issue the enterprise is not satisfied with is reopened, not closed (销号)")
        if status in (S.RESOLVED, S.CLOSED) and resolved is None and reported is not None:
            # 已办结 without 办结时间: resolved by the last date the row knows (its 办理时限, if given and
            # past, else the day of 反映时间), with a warning.
            given = deadline if c.raw("deadline") is not None and deadline and deadline <= self.ctx.now else None
            resolved = given or max(reported, _at(reported.astimezone(_zone(tz)).date(), tz) - timedelta(minutes=30))
            resolved = min(max(resolved, reported), self.ctx.now)
            shown_at = resolved.astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M")
            source = "办理时限" if given else "反映时间"
            c.warn("resolved_at", f"no 办结时间 for a resolved issue: taken as {shown_at} (from {source})")
        for name, moment in (("resolved_at", resolved), ("closed_at", closed)):
            if moment and reported and moment < reported:
                c.error(name, "before 反映时间 (the time it was reported)")
            if moment and moment > self.ctx.now:
                c.error(name, "in the future")
        if closed and resolved and closed < resolved:
            c.error("closed_at", "before 办结时间 (the time it was resolved)")
        if status not in (None, S.REPORTED) and lead is None and not c.row.rejected:
            c.error("lead_team", f"required when the status is {v.text(c.raw('status')) or status.value}")
        values["status"] = status
        values["resolution"] = c.text("resolution", MAX_SUMMARY)
        values["satisfaction_comment"] = c.text("satisfaction_comment", MAX_NOTE)
        values["satisfaction"] = satisfaction
        values["lead_team_id"] = lead
        values["resolved_at"] = resolved
        values["closed_at"] = (closed or resolved) if status == S.CLOSED else None
        if c.row.rejected:
            return values
        self._normalise(values)
        values["_key"] = ledger_number or (values["enterprise_id"], values["reported_at"], values["title"])
        return values

    def _normalise(self, values: dict[str, Any]) -> None:
        """The fields as the workflow leaves them in the row's status (what a re-import compares)."""
        status = values["status"]
        if status not in (S.RESOLVED, S.CLOSED):
            values["resolution"] = values["resolution"] if status == S.REOPENED else ""
            values["resolved_at"] = None if status != S.REOPENED else values["resolved_at"]
        if status == S.REOPENED:
            # 重新办理 with 不满意 was rejected by the enterprise; without a 满意度 it was reopened
            # (the reopen action): no verdict is made up.
            if values["satisfaction"] != Satisfaction.UNSATISFIED:
                values["satisfaction"] = None
                values["satisfaction_comment"] = ""
            values["resolution"] = ""
            values["_first_resolved"] = values["resolved_at"]
            values["resolved_at"] = None
        if status not in (S.RESOLVED, S.CLOSED, S.REOPENED):
            values["satisfaction"] = None
            values["satisfaction_comment"] = ""
        if status == S.RETURNED:
            values["_returned_by"] = values["lead_team_id"]
            values["lead_team_id"] = None
        if status == S.REPORTED:
            values["lead_team_id"] = None
            values["_co"] = ()

    def _enterprise(self, c: Checker, enterprises: dict[str, list[dict]]) -> int | None:
        uscc = v.text(c.raw("uscc")).upper()
        name = v.text(c.raw("enterprise"))
        if uscc:
            found = enterprises.get(uscc, [])
            if found:
                return found[0]["id"]
            c.error("uscc", "no enterprise with this code: import the register first")
            return None
        if not name:
            c.error("enterprise", "required (or 统一社会信用代码)")
            return None
        found = enterprises.get(name, [])
        township = v.text(c.raw("township"))
        if len(found) > 1 and township:
            found = [e for e in found if e["township__name"].startswith(township)]
        if len(found) == 1:
            return found[0]["id"]
        c.error(
            "enterprise",
            "several enterprises have this name: add 统一社会信用代码"
            if found
            else "no enterprise with this name: import the register first, or add 统一社会信用代码",
        )
        return None

    def _team(self, c: Checker, name: str, value: str) -> int | None:
        if not value:
            return None
        team = self.team_by_name.get(value) or self.team_by_department.get(value)
        if team is None:
            led = self.teams_of_department.get(value, [])
            if len(led) > 1:
                names = ", ".join(sorted(self.team_names[t] for t in led))
                c.error(name, f"{value} leads {len(led)} teams ({names}): name the team", value)
            else:
                c.error(name, "no service team (or department leading exactly one team) of this name", value)
        return team

    def _deadline(self, value: object, reported: datetime | None) -> datetime:
        raw = v.text(value)
        # 7, 7个工作日, 七个工作日 (working days); 7天, 7日, 7个自然日 (calendar days).
        days = re.fullmatch(r"(\d{1,3}|[零〇一二两三四五六七八九十百]{1,5})\s*(?:个)?(工作日|自然日|天|日)?", raw)
        count = v.chinese_count(days.group(1)) if days else None
        if days and count is not None and reported is not None and not isinstance(value, datetime):
            from yimi.issues.deadlines import add_working_days

            if days.group(2) in ("工作日", None):
                return _at(add_working_days(reported.astimezone(_zone(self.tz)).date(), count), self.tz)
            return _at(reported.astimezone(_zone(self.tz)).date() + timedelta(days=count), self.tz)
        return v.instant(value, self.tz, CLOSE_OF_BUSINESS)

    async def _existing(self, rows: list[dict[str, Any]], conn: BaseDBAsyncClient) -> dict[Any, dict]:
        numbers = [r["ledger_number"] for r in rows if r["ledger_number"]]
        keyed = [r for r in rows if not r["ledger_number"]]
        found: list[dict] = []
        columns = ("id", "number", "ledger_number", *FIELDS)
        if numbers:
            q = Q(ledger_number__in=numbers) | Q(number__in=numbers)
            found += await Issue.filter(q).using_db(conn).values(*columns)
        if keyed:
            ids = list({r["enterprise_id"] for r in keyed})
            times = list({r["reported_at"] for r in keyed})
            # Not filtered on ledger_number IS NULL in SQL: SQLite would walk that column's unique
            # index, where every such issue sits, once per batch.
            rows = await Issue.filter(enterprise_id__in=ids, reported_at__in=times).using_db(conn).values(*columns)
            found += [r for r in rows if r["ledger_number"] is None]
        co: dict[int, list[int]] = {}
        if found:
            orders = await (
                DispatchOrder.filter(
                    issue_id__in=[f["id"] for f in found], role=DispatchRole.CO_HANDLER, returned_at__isnull=True
                )
                .using_db(conn)
                .values_list("issue_id", "team_id")
            )
            for issue_id, team_id in orders:
                co.setdefault(issue_id, []).append(team_id)
        out: dict[Any, dict] = {}
        for f in found:
            f["_co"] = tuple(sorted(co.get(f["id"], [])))
            if f["ledger_number"]:
                out[f["ledger_number"]] = f
            out.setdefault(f["number"], f)
            out.setdefault((f["enterprise_id"], f["reported_at"], f["title"]), f)
        return out

    # ---------------------------------------------------------------------------------- writes

    async def write(self, outcomes: Sequence[Outcome], conn: BaseDBAsyncClient) -> None:
        if not outcomes:
            return
        replaced = [o.existing_id for o in outcomes if o.action == "update" and o.existing_id is not None]
        if replaced:
            # The ledger row replaces the issue, its imported history with it (orders and events cascade).
            await Issue.filter(id__in=replaced).using_db(conn).delete()
        new_ids = await self.issue_ids.take(conn, sum(1 for o in outcomes if o.action == "create"))
        plans = []
        for o in outcomes:
            issue_id = o.existing_id if o.action == "update" and o.existing_id is not None else new_ids.pop(0)
            number = o.values.get("number") or await self.numbers.next(conn, o.values)
            plans.append(self._plan(o, issue_id, number))
        events = [e for p in plans for e in p.events]
        orders = [d for p in plans for d in p.orders]
        for event, event_id in zip(events, await self.event_ids.take(conn, len(events)), strict=True):
            event["id"] = event_id
        for order, order_id in zip(orders, await self.order_ids.take(conn, len(orders)), strict=True):
            order["id"] = order_id
        await Issue.bulk_create([Issue(**p.issue) for p in plans], using_db=conn)
        await DispatchOrder.bulk_create([DispatchOrder(**d) for d in orders], using_db=conn)
        await IssueEvent.bulk_create([IssueEvent(**e) for e in events], using_db=conn)

    def _plan(self, outcome: Outcome, issue_id: int, number: str) -> Plan:
        values = outcome.values
        status: IssueStatus = values["status"]
        reported: datetime = values["reported_at"]
        first_resolved = values.get("_first_resolved") or values["resolved_at"]
        end = first_resolved or self.ctx.now
        step = min(STEP, max(end - reported, timedelta()) / 3)
        suffix = f"（台账导入：{self.ctx.file.name} 第{outcome.row.number}行，导入人 {self.ctx.importer}）"
        lead = values["lead_team_id"] or values.get("_returned_by")
        events: list[dict[str, Any]] = []
        orders: list[dict[str, Any]] = []
        current: IssueStatus | None = None
        accepted: datetime | None = None

        def event(action: Action, at: datetime, note: str) -> None:
            nonlocal current
            to = next_status(action, current)
            events.append(
                {
                    "issue_id": issue_id,
                    "actor_id": None,
                    "action": action.value,
                    "from_status": current,
                    "to_status": to,
                    "note": note + suffix,
                    "created_at": at,
                    "imported": True,
                }
            )
            current = to

        event(Action.REPORT, reported, f"{SOURCE_LABELS[values['source']]}：{values['title']}")
        if status != S.REPORTED:
            dispatched = reported + step
            team_names = "、".join(self.team_names[t] for t in values["_co"])
            note = f"派单至{self.team_names[lead]}（主办）" + (f"，{team_names}（协办）" if team_names else "")
            event(Action.DISPATCH, dispatched, note)
            accepted = dispatched + step if status not in (S.DISPATCHED, S.RETURNED) else None
            returned = None
            if status == S.RETURNED:
                returned = min(dispatched + RETURN_AFTER, max(self.ctx.now, dispatched))
                event(Action.RETURN, returned, RETURN_REASON)
            for team, role in [(lead, DispatchRole.LEAD), *((t, DispatchRole.CO_HANDLER) for t in values["_co"])]:
                orders.append(
                    {
                        "issue_id": issue_id,
                        "team_id": team,
                        "role": role,
                        "instruction": "",
                        "dispatched_at": dispatched,
                        "due_at": values["deadline"],
                        "accepted_at": accepted,
                        "returned_at": returned,
                        "return_reason": ""
                        if returned is None
                        else RETURN_REASON
                        if role == DispatchRole.LEAD
                        else CO_HANDLER_RETURN_REASON,
                        "dispatched_by_id": None,
                    }
                )
            if accepted is not None:
                event(Action.ACCEPT, accepted, "已接单。")
        if status in (S.RESOLVED, S.CLOSED, S.REOPENED):
            assert accepted is not None  # these statuses were dispatched and accepted above
            unsatisfied = values["satisfaction"] == Satisfaction.UNSATISFIED
            if unsatisfied and status == S.RESOLVED:
                # Resolved again after the enterprise was not satisfied: the first answer and the
                # verdict in working hours between acceptance and the final resolution.
                first, verdict_at = working_pair(accepted, values["resolved_at"], self.tz)
            elif first_resolved:
                first = first_resolved
                verdict_at = next_working_morning(first_resolved, self.ctx.now, self.tz)
            else:
                first, verdict_at = working_pair(accepted, max(self.ctx.now, accepted), self.tz)
            event(Action.RESOLVE, first, values["resolution"] or "办结。")
            if status == S.REOPENED and not unsatisfied:
                event(Action.REOPEN, max(verdict_at, first), "台账记录为重新办理。")
            if unsatisfied:
                comment = values["satisfaction_comment"]
                event(Action.REJECT, max(verdict_at, first), f"回访企业，评价：不满意。{comment}")
                if status == S.RESOLVED:
                    event(Action.RESOLVE, values["resolved_at"], values["resolution"] or "办结。")
            elif status == S.CLOSED:
                verdict = SATISFACTION_LABELS.get(values["satisfaction"], "未记录")
                event(Action.CONFIRM, values["closed_at"], f"回访企业，评价：{verdict}")
        yellow_at, orange_at = thresholds(
            reported, values["deadline"], self.ctx.settings.warn_yellow_at, self.ctx.settings.warn_orange_at
        )
        issue = {k: values[k] for k in FIELDS} | {
            "id": issue_id,
            "number": number,
            "ledger_number": values["ledger_number"],
            "yellow_at": yellow_at,
            "orange_at": orange_at,
            "version": len(events),
        }
        return Plan(issue, events, orders, values["_co"])


# Synthetic events (a first resolution, the enterprise's verdict) fall in the county's office hours.
WORK_FROM = time(9, 0)
WORK_UNTIL = time(17, 30)


def working_pair(start: datetime, end: datetime, tz: str) -> tuple[datetime, datetime]:
    """Two moments strictly between ``start`` and ``end``, on working days (chinese-calendar) within
    office hours and a working day or more apart when the span allows: the first on the working day
    a third of the way, the second on one two thirds of the way (10:00 and 15:00). Without working
    days in between, a third and two thirds of the span."""
    from yimi.issues.deadlines import is_working_day

    zone = _zone(tz)
    first_day = start.astimezone(zone).date() + timedelta(days=1)
    last_day = end.astimezone(zone).date() - timedelta(days=1)
    days: list[date] = []
    day = first_day
    while day <= last_day and len(days) < 400:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    if len(days) >= 2:
        a, b = days[len(days) // 3], days[(2 * len(days)) // 3]
        if a == b:
            b = days[min(days.index(a) + 1, len(days) - 1)]
        return datetime.combine(a, time(10, 0), tzinfo=zone), datetime.combine(b, time(15, 0), tzinfo=zone)
    if len(days) == 1:
        return datetime.combine(days[0], time(10, 0), tzinfo=zone), datetime.combine(days[0], time(15, 0), tzinfo=zone)
    span = max(end - start, timedelta())
    return start + span / 3, start + 2 * span / 3


def next_working_morning(moment: datetime, now: datetime, tz: str) -> datetime:
    """10:00 on the working day after ``moment`` (the enterprise's verdict on a resolution), or, if
    that has not come yet, halfway from ``moment`` to ``now``."""
    from yimi.issues.deadlines import is_working_day

    zone = _zone(tz)
    day = moment.astimezone(zone).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    at = datetime.combine(day, time(10, 0), tzinfo=zone)
    return at if at <= now else moment + max(now - moment, timedelta()) / 2


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def _at(day, tz: str) -> datetime:
    return datetime.combine(day, CLOSE_OF_BUSINESS, tzinfo=_zone(tz))


def _title_from(description: str) -> str:
    first = re.split(r"[。！？!?\n]", description, maxsplit=1)[0].strip()
    return first if len(first) <= TITLE_FROM_DESCRIPTION else first[: TITLE_FROM_DESCRIPTION - 1] + "…"


NUMBER = re.compile(r"(?P<prefix>[A-Z]{1,6})-(?P<year>\d{4})-(?P<seq>\d{5})")


class Numbering:
    """Issue numbers (WS-2023-00042) for imported issues: the ledger's own when it has that form and
    it is free, else the next of the year. The import's transaction holds the database's write lock
    (SQLite) or the numbering lock (PostgreSQL), so nobody numbers meanwhile."""

    def __init__(self, prefix: str, tz: str):
        self.prefix = prefix
        self.tz = tz
        self.top: dict[int, int] = {}
        self.used: set[str] = set()
        self.locked = False

    async def _lock(self, conn: BaseDBAsyncClient) -> None:
        if not self.locked and conn.capabilities.dialect == "postgres":
            from yimi.issues.service import NUMBER_LOCK_KEY

            await conn.execute_query(f"SELECT pg_advisory_xact_lock({NUMBER_LOCK_KEY})")
        self.locked = True

    async def _top(self, conn: BaseDBAsyncClient, year: int) -> int:
        if year not in self.top:
            prefix = f"{self.prefix}-{year}-"
            found = await (
                Issue.filter(number__gte=f"{prefix}00000", number__lte=f"{prefix}99999")
                .using_db(conn)
                .order_by("-number")
                .limit(1)
                .values_list("number", flat=True)
            )
            self.top[year] = int(str(found[0])[-5:]) if found else 0
        return self.top[year]

    async def next(self, conn: BaseDBAsyncClient, values: dict[str, Any]) -> str:
        await self._lock(conn)
        given = values["ledger_number"]
        match = NUMBER.fullmatch(given or "")
        if match and given not in self.used and not await Issue.filter(number=given).using_db(conn).exists():
            year, seq = int(match["year"]), int(match["seq"])
            if match["prefix"] == self.prefix:
                self.top[year] = max(await self._top(conn, year), seq)
            self.used.add(given)
            return str(given)
        year = values["reported_at"].astimezone(_zone(self.tz)).year
        while True:
            seq = await self._top(conn, year) + 1
            self.top[year] = seq
            number = f"{self.prefix}-{year}-{seq:05d}"
            if number not in self.used:
                self.used.add(number)
                return number
