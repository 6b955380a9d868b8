from datetime import UTC, datetime, timedelta, timezone

import pytest

PAGE = """
query($filter: IssueFilter, $orderBy: IssueOrder, $first: Int, $after: String) {
  issues(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id number title description category source priority status warningColor
            reportedAt deadline resolvedAt closedAt satisfaction version
            enterprise { name township { code } } leadTeam { id name }
            coHandlers { id } dispatches { team { id } role returnedAt } }
  }
}
"""
OPEN = ["REPORTED", "DISPATCHED", "IN_PROGRESS", "RETURNED", "REOPENED"]


async def all_pages(gql, filter: dict | None = None, order: dict | None = None) -> list[dict]:
    nodes, after = [], None
    while True:
        conn = (await gql(PAGE, {"filter": filter, "orderBy": order, "first": 100, "after": after}))["issues"]
        nodes += conn["nodes"]
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]


async def total(gql, filter: dict | None) -> int:
    return (await gql(PAGE, {"filter": filter, "first": 0}))["issues"]["totalCount"]


async def test_demo_issues_in_every_status(gql):
    assert await total(gql, None) >= 3000
    for status in [*OPEN, "RESOLVED", "CLOSED"]:
        assert await total(gql, {"statuses": [status]}) > 0, status
    closed = await all_pages(gql, {"statuses": ["CLOSED"], "reportedBetween": {"to": "2020-07-01T00:00:00Z"}})
    assert closed and all(i["satisfaction"] and i["closedAt"] for i in closed)
    assert all(i["warningColor"] is None for i in closed)


async def test_readable_numbers(gql):
    page = (await gql(PAGE, {"first": 50}))["issues"]["nodes"]
    for issue in page:
        prefix, year, seq = issue["number"].split("-")
        local_year = datetime.fromisoformat(issue["reportedAt"]).astimezone(timezone(timedelta(hours=8))).year
        assert prefix == "WS" and int(year) == local_year and len(seq) == 5
    found = await all_pages(gql, {"search": page[0]["number"]})
    assert [i["id"] for i in found] == [page[0]["id"]]


async def test_status_category_and_township_filters(gql):
    open_ = await all_pages(gql, {"statuses": OPEN})
    assert open_ and all(i["status"] in OPEN and i["warningColor"] for i in open_)
    power = await all_pages(gql, {"categories": ["POWER"], "statuses": ["CLOSED"]})
    assert power and all(i["category"] == "POWER" and i["status"] == "CLOSED" for i in power)
    zhangshi = await all_pages(gql, {"townshipCodes": ["410223105"]})
    assert zhangshi and all(i["enterprise"]["township"]["code"] == "410223105" for i in zhangshi)
    assert await total(gql, {"townshipCodes": []}) == 0


async def test_team_filter_includes_lead_and_co_handled_issues(gql):
    team_id = (await all_pages(gql, {"statuses": ["IN_PROGRESS"]}))[0]["leadTeam"]["id"]
    issues = await all_pages(gql, {"team": team_id})
    assert issues
    for issue in issues:
        assert (issue["leadTeam"] or {}).get("id") == team_id or team_id in [
            d["team"]["id"] for d in issue["dispatches"]
        ]


async def test_warning_colours_partition_the_open_issues(gql):
    open_total = await total(gql, {"statuses": OPEN})
    per_colour = {}
    for colour in ["GREEN", "YELLOW", "ORANGE", "RED"]:
        issues = await all_pages(gql, {"warningColors": [colour]})
        assert all(i["warningColor"] == colour for i in issues)
        per_colour[colour] = len(issues)
    assert sum(per_colour.values()) == open_total
    assert per_colour["RED"] > 0 and per_colour["GREEN"] > 0
    assert await total(gql, {"warningColors": ["RED", "ORANGE"]}) == per_colour["RED"] + per_colour["ORANGE"]


async def test_overdue_means_open_and_past_deadline(gql):
    now = datetime.now(UTC)
    overdue = await all_pages(gql, {"overdue": True})
    assert overdue
    for i in overdue:
        assert i["status"] in OPEN and i["warningColor"] == "RED"
        assert datetime.fromisoformat(i["deadline"]) <= now
    assert await total(gql, {"overdue": False}) + len(overdue) == await total(gql, None)


async def test_reported_between_and_text_search(gql):
    issues = await all_pages(
        gql, {"reportedBetween": {"from": "2021-07-01T00:00:00+08:00", "to": "2021-08-01T00:00:00+08:00"}}
    )
    assert issues
    lo, hi = datetime(2021, 6, 30, 16, tzinfo=UTC), datetime(2021, 7, 31, 16, tzinfo=UTC)
    assert all(lo <= datetime.fromisoformat(i["reportedAt"]) < hi for i in issues)
    word = issues[0]["title"][:4]
    found = await all_pages(gql, {"search": word})
    assert found and all(word in i["title"] or word in i["description"] or word in i["number"] for i in found)


@pytest.mark.parametrize(
    "field,key",
    [
        ("REPORTED_AT", "reportedAt"),
        ("DEADLINE", "deadline"),
        ("NUMBER", "number"),
        ("STATUS", "status"),
        ("PRIORITY", "priority"),
    ],
)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_orderings(gql, field, key, direction):
    issues = await all_pages(
        gql, {"townshipCodes": ["410223105", "410223001"]}, {"field": field, "direction": direction}
    )
    if key == "deadline":
        # Open issues first in either direction, each part by deadline.
        done = [i["status"] in ("RESOLVED", "CLOSED") for i in issues]
        assert done == sorted(done) and any(done) and not all(done)
        for part in (False, True):
            values = [datetime.fromisoformat(i[key]) for i, d in zip(issues, done, strict=True) if d is part]
            assert values == sorted(values, reverse=direction == "DESC")
        return
    if key == "reportedAt":
        values = [datetime.fromisoformat(i[key]) for i in issues]
    elif key == "status":
        workflow = ["REPORTED", "DISPATCHED", "IN_PROGRESS", "RETURNED", "REOPENED", "RESOLVED", "CLOSED"]
        values = [workflow.index(i[key]) for i in issues]
    elif key == "priority":
        values = [["COMPLEX", "NORMAL", "URGENT"].index(i[key]) for i in issues]
    else:
        values = [i[key] for i in issues]
    assert values == sorted(values, reverse=direction == "DESC")


async def test_default_order_is_newest_first(gql):
    page = (await gql(PAGE, {"first": 30}))["issues"]["nodes"]
    dates = [i["reportedAt"] for i in page]
    assert dates == sorted(dates, reverse=True)
    assert datetime.fromisoformat(dates[0]) > datetime.now(UTC) - timedelta(days=30)


async def test_timeline_and_dispatches(gql):
    data = await gql(
        """{ issues(first: 20, filter: {statuses: [CLOSED]}) { nodes {
             status leadTeam { id } coHandlers { id }
             dispatches { team { id } role acceptedAt returnedAt returnReason }
             events { action fromStatus toStatus createdAt actor { name } } } } }"""
    )
    for issue in data["issues"]["nodes"]:
        events = issue["events"]
        assert events[0]["action"] == "report" and events[0]["fromStatus"] is None
        assert events[-1]["toStatus"] == "CLOSED"
        stamps = [e["createdAt"] for e in events]
        assert stamps == sorted(stamps)
        live_leads = [d for d in issue["dispatches"] if d["role"] == "LEAD" and not d["returnedAt"]]
        assert issue["leadTeam"]["id"] == live_leads[-1]["team"]["id"]
        assert all(d["returnReason"] for d in issue["dispatches"] if d["returnedAt"])


async def test_reported_between_means_the_same_instant_in_any_offset(gql):
    issue = (await gql(PAGE, {"first": 1, "filter": {"statuses": ["CLOSED"]}}))["issues"]["nodes"][0]
    reported = datetime.fromisoformat(issue["reportedAt"])
    beijing = timezone(timedelta(hours=8))
    window = {
        "from": (reported - timedelta(minutes=1)).astimezone(beijing).isoformat(),
        "to": (reported + timedelta(minutes=1)).astimezone(beijing).isoformat(),
    }
    found = await all_pages(gql, {"reportedBetween": window})
    assert issue["id"] in [i["id"] for i in found]
