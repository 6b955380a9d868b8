"""Team figures on ServiceTeam: checked against numbers computed here from the ORM rows."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import count_sql
from yimi.common.ids import to_global_id
from yimi.issues.deadlines import working_days_between
from yimi.issues.models import OPEN_STATUSES, DispatchOrder, DispatchRole, Issue, IssueStatus, Satisfaction
from yimi.teams.models import ServiceTeam
from yimi.teams.service import working_days_for, working_days_to_resolve

FIGURES = "open overdue resolvedCount onTimeRate returnRate medianWorkingDaysToResolve satisfactionRate"

TEAMS = f"""
query($first: Int, $since: DateTime) {{
  serviceTeams(first: $first) {{
    nodes {{ id name openIssueCount figures(since: $since) {{ {FIGURES} }} }}
  }}
}}
"""


async def expected_figures(team_id: int, now: datetime, timezone: str, since: datetime | None = None) -> dict:
    """The figures of a team, the long way: every row in Python, nothing shared with the service."""
    issues = await Issue.filter(lead_team_id=team_id)
    if since is not None:
        issues = [i for i in issues if i.reported_at >= since]
    open_ = [i for i in issues if i.status in OPEN_STATUSES]
    resolved = [i for i in issues if i.status in (IssueStatus.RESOLVED, IssueStatus.CLOSED) and i.resolved_at]
    rated = [i for i in issues if i.satisfaction is not None]
    content = [i for i in rated if i.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)]
    orders = await DispatchOrder.filter(team_id=team_id).prefetch_related("issue")
    if since is not None:
        orders = [o for o in orders if o.issue.reported_at >= since]
    zone = ZoneInfo(timezone)
    lead_orders = [o for o in orders if o.role == DispatchRole.LEAD and o.returned_at is None]
    days = []
    for issue in resolved:
        held = [o for o in lead_orders if o.issue_id == issue.id and o.dispatched_at <= issue.resolved_at]
        if held:
            dispatched = max(held, key=lambda o: (o.dispatched_at, o.id)).dispatched_at
            days.append(
                working_days_between(dispatched.astimezone(zone).date(), issue.resolved_at.astimezone(zone).date())
            )

    def rate(part, whole):
        return len(part) / len(whole) if whole else None

    return {
        "open": len(open_),
        "overdue": len([i for i in open_ if i.deadline <= now]),
        "resolvedCount": len(resolved),
        "onTimeRate": rate([i for i in resolved if i.resolved_at <= i.deadline], resolved),
        # Only a lead team returns an order; co-handler orders recalled with it are not counted.
        "returnRate": rate(
            [o for o in orders if o.role == DispatchRole.LEAD and o.returned_at is not None],
            [o for o in orders if o.role == DispatchRole.LEAD],
        ),
        "medianWorkingDaysToResolve": float(statistics.median(days)) if days else None,
        "satisfactionRate": rate(content, rated),
    }


def assert_figures_equal(got: dict, want: dict, name: str) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value), (name, key)
        else:
            assert got[key] == value, (name, key)


async def test_figures_match_the_rows(gql, settings):
    before = datetime.now(UTC)
    nodes = (await gql(TEAMS, {"first": 100}))["serviceTeams"]["nodes"]
    after = datetime.now(UTC)
    by_name = {n["name"]: n for n in nodes}
    teams = await ServiceTeam.all()
    assert len(nodes) == len(teams)

    # The demo county must exercise every figure, or this test would prove little.
    busiest = max(nodes, key=lambda n: n["figures"]["resolvedCount"])
    most_returned = max(nodes, key=lambda n: n["figures"]["returnRate"] or 0)
    assert busiest["figures"]["resolvedCount"] > 50
    assert busiest["figures"]["onTimeRate"] < 1 and busiest["figures"]["satisfactionRate"] < 1
    assert busiest["figures"]["medianWorkingDaysToResolve"] > 0
    assert most_returned["figures"]["returnRate"] > 0.1
    assert any(n["figures"]["overdue"] > 0 for n in nodes)

    for team in teams:
        node = by_name[team.name]
        assert node["id"] == to_global_id("ServiceTeam", team.id)
        assert node["figures"]["open"] == node["openIssueCount"]
        want = await expected_figures(team.id, after, settings.timezone)
        if node["figures"]["overdue"] != want["overdue"]:
            # A deadline fell between the server's clock reading and ours: accept that reading.
            want["overdue"] = (await expected_figures(team.id, before, settings.timezone))["overdue"]
        assert_figures_equal(node["figures"], want, team.name)


async def test_figures_since(gql, settings):
    reported = sorted(await Issue.all().values_list("reported_at", flat=True))
    since = reported[len(reported) * 3 // 4]
    nodes = (await gql(TEAMS, {"first": 100, "since": since.isoformat()}))["serviceTeams"]["nodes"]
    everything = {n["name"]: n for n in (await gql(TEAMS, {"first": 100}))["serviceTeams"]["nodes"]}
    now = datetime.now(UTC)
    teams = {t.name: t.id for t in await ServiceTeam.all()}
    busiest = max(nodes, key=lambda n: n["figures"]["resolvedCount"])
    assert 0 < busiest["figures"]["resolvedCount"] < everything[busiest["name"]]["figures"]["resolvedCount"]
    for node in sorted(nodes, key=lambda n: -n["figures"]["resolvedCount"])[:3]:
        want = await expected_figures(teams[node["name"]], now, settings.timezone, since=since)
        assert_figures_equal(node["figures"], want, node["name"])
    # Without an offset, `since` is the county's local time.
    local = since.astimezone(ZoneInfo(settings.timezone)).replace(tzinfo=None)
    naive = (await gql(TEAMS, {"first": 100, "since": local.isoformat()}))["serviceTeams"]["nodes"]
    assert naive == nodes


async def test_figures_with_nothing_to_count_are_zero_or_null(gql):
    future = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1)
    nodes = (await gql(TEAMS, {"first": 100, "since": future.isoformat()}))["serviceTeams"]["nodes"]
    assert nodes
    for node in nodes:
        assert node["figures"] == {
            "open": 0,
            "overdue": 0,
            "resolvedCount": 0,
            "onTimeRate": None,
            "returnRate": None,
            "medianWorkingDaysToResolve": None,
            "satisfactionRate": None,
        }


async def test_figures_cost_the_same_sql_for_three_teams_and_for_all(gql, uncached):
    with count_sql() as small:
        page = await gql(TEAMS, {"first": 3})
    assert len(page["serviceTeams"]["nodes"]) == 3
    with count_sql() as large:
        page = await gql(TEAMS, {"first": 100})
    assert len(page["serviceTeams"]["nodes"]) == await ServiceTeam.all().count() > 3

    # Besides the data version and the lookup of the signed-in caller (made only when the version
    # moved: yimi.graphql.context.Callers): the page, the open-issue counts, and three statements
    # for the figures.
    def caller_lookup(statement: str) -> bool:
        # The list sizes of the cost limits are read again at most every 10 s after a write, by whichever
        # request comes then (yimi.graphql.list_bounds): bookkeeping, not the page's.
        return (
            ' FROM "staff" WHERE "id"=? AND "is_active"=? ' in statement
            or "FROM data_version" in statement
            or statement.startswith("SELECT COALESCE((SELECT COUNT(*) FROM township), 0) AS townships")
        )

    assert sum(map(caller_lookup, small)) <= 2 and sum(map(caller_lookup, large)) <= 2
    small, large = [s for s in small if not caller_lookup(s)], [s for s in large if not caller_lookup(s)]
    assert len(large) == len(small) <= 5, large


def test_working_days_for_many_pairs_agrees_with_the_calendar():
    from datetime import date, timedelta

    start = date(2023, 9, 20)  # across the 2023 Mid-Autumn / National Day holidays and make-up days
    pairs = [(start + timedelta(days=a), start + timedelta(days=a + n)) for a in range(0, 40, 3) for n in (0, 1, 5, 17)]
    counts = working_days_for(pairs)
    assert counts == {p: working_days_between(*p) for p in pairs}


def test_working_days_to_resolve_counts_local_dates():
    shanghai = ZoneInfo("Asia/Shanghai")
    spans = [
        # Dispatched late on Monday 4 March 2024, resolved just after midnight on Wednesday, local
        # time: two working days (Tuesday, Wednesday), though in UTC both fall a day apart.
        (datetime(2024, 3, 4, 23, 30, tzinfo=shanghai), datetime(2024, 3, 6, 0, 30, tzinfo=shanghai)),
        # Across the 2024 Spring Festival: from Thursday 8 February to Monday 19 February there are
        # three working days: Friday the 9th, Sunday the 18th (a make-up day) and the 19th.
        (datetime(2024, 2, 8, 10, tzinfo=shanghai), datetime(2024, 2, 19, 10, tzinfo=shanghai)),
        # The same day.
        (datetime(2024, 3, 5, 9, tzinfo=UTC), datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
    ]
    assert working_days_to_resolve(spans, "Asia/Shanghai") == [2, 3, 0]
    assert working_days_to_resolve(spans[:1], "UTC") == [1]
