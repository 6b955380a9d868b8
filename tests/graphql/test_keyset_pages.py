"""Keyset pages (the cursors of enterprises, issues, townships and serviceTeams) hold exactly the rows
offset pages of the same order hold, for every order the API offers, ties broken by id."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from yimi.accounts.read_rules import STAFF, Access
from yimi.common.ids import to_global_id
from yimi.enterprises.service import EnterpriseCriteria, EnterpriseOrderField, enterprise_queryset, ordering
from yimi.issues.filters import IssueCriteria, IssueOrderField, issue_queryset, ordered
from yimi.issues.models import OPEN_STATUSES, IssueStatus
from yimi.townships.service import BY_CODE, TownshipCriteria, township_queryset

PAGE = 37  # not a divisor of the demo's counts: the last page is partial

EVERYTHING = Access(grants=STAFF)


async def walk(gql, field: str, arguments: str, variables: dict, declared: str) -> list[str]:
    """Every id of a list, page by page through the API's cursors."""
    query = (
        f"query($first: Int, $after: String{declared}) {{ {field}(first: $first, after: $after{arguments}) "
        "{ pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } } } }"
    )
    ids: list[str] = []
    after = None
    while True:
        conn = (await gql(query, {"first": PAGE, "after": after, **variables}))[field]
        ids += [e["node"]["id"] for e in conn["edges"]]
        assert conn["pageInfo"]["hasPreviousPage"] == (after is not None)
        if conn["edges"]:
            assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        if not conn["pageInfo"]["hasNextPage"]:
            return ids
        after = conn["pageInfo"]["endCursor"]


async def offset_pages(qs, ordering_, node_type: str) -> list[str]:
    """The same list by offset pages of the same order (what the API served before keysets)."""
    ids: list[str] = []
    ordered_qs = ordering_.apply(qs)
    start = 0
    while True:
        rows = await ordered_qs.offset(start).limit(PAGE)
        ids += [to_global_id(node_type, row.pk) for row in rows]
        if len(rows) < PAGE:
            return ids
        start += PAGE


@pytest.mark.parametrize("field", list(EnterpriseOrderField))
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_enterprise_keyset_pages_equal_offset_pages(gql, demo, field, direction):
    got = await walk(
        gql,
        "enterprises",
        ", orderBy: $order",
        {"order": {"field": field.name, "direction": direction}},
        ", $order: EnterpriseOrder",
    )
    qs = enterprise_queryset(EnterpriseCriteria(), EVERYTHING)
    want = await offset_pages(qs, ordering(field, direction == "DESC", EVERYTHING), "Enterprise")
    assert got == want
    assert len(got) == demo.enterprises


@pytest.mark.parametrize("field", list(IssueOrderField))
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("statuses", [[], list(OPEN_STATUSES), [IssueStatus.DISPATCHED, IssueStatus.RETURNED]])
async def test_issue_keyset_pages_equal_offset_pages(gql, demo, field, direction, statuses):
    # Open statuses by deadline take the index of open deadlines: their pages must agree too.
    got = await walk(
        gql,
        "issues",
        ", orderBy: $order, filter: {statuses: $statuses}",
        {"order": {"field": field.name, "direction": direction}, "statuses": [s.name for s in statuses]},
        ", $order: IssueOrder, $statuses: [IssueStatus!]",
    )
    criteria = IssueCriteria(statuses=statuses)
    qs, order = ordered(issue_queryset(criteria, datetime.now(UTC), EVERYTHING), field, direction == "DESC", statuses)
    want = await offset_pages(qs, order, "Issue")
    assert got == want
    assert len(got) > PAGE


async def test_township_and_team_keyset_pages(gql, demo):
    got = await walk(gql, "townships", "", {}, "")
    assert got == await offset_pages(township_queryset(TownshipCriteria()), BY_CODE, "Township")
    teams = await walk(gql, "serviceTeams", "", {}, "")
    assert len(teams) == demo.teams and len(set(teams)) == len(teams)


def forge(payload: str) -> str:
    return base64.b64encode(payload.encode()).decode()


async def test_cursors_are_checked(gql):
    page = (await gql("{ issues(first: 2, orderBy: {field: DEADLINE}) { pageInfo { endCursor } } }"))["issues"]
    cursor = page["pageInfo"]["endCursor"]
    # Another order's cursor: refused with a reason, never misread.
    err = await gql.error(
        "query($a: String) { issues(first: 2, after: $a, orderBy: {field: NUMBER}) { totalCount } }", {"a": cursor}
    )
    assert err["extensions"]["argument"] == "after" and "another list or order" in err["message"]
    err = await gql.error("query($a: String) { enterprises(first: 2, after: $a) { totalCount } }", {"a": cursor})
    assert err["extensions"]["argument"] == "after"
    name, values, pk = json.loads(base64.b64decode(cursor).decode().removeprefix("keyset:"))
    for forged in [
        forge("keyset:" + json.dumps([name, values, "1; DROP TABLE issue"])),
        forge("keyset:" + json.dumps([name, ["not a time"], pk])),
        forge("keyset:" + json.dumps([name, [0, "2024-01-01T00:00:00"], pk])),  # no time zone
        forge("keyset:" + json.dumps([name, [], pk])),
        forge("keyset:" + json.dumps([name, [1], pk])),
        forge("keyset:" + json.dumps([name, [0, 1], pk])),
        forge("keyset:" + json.dumps([name, ["0", values[1]], pk])),
        forge("keyset:[[["),
        forge("cursor:40"),  # an offset cursor (nested lists) where a keyset one belongs
        "%%%",
    ]:
        err = await gql.error(
            "query($a: String) { issues(first: 2, after: $a, orderBy: {field: DEADLINE}) { totalCount } }",
            {"a": forged},
        )
        assert err["extensions"]["argument"] == "after", forged
        assert "not a cursor returned by this API" in err["message"]


async def test_total_count_is_not_asked_of_the_database_unless_selected(gql):
    from tests.conftest import count_sql

    with count_sql() as statements:
        await gql("{ issues(first: 5, orderBy: {field: DEADLINE}) { nodes { id } } }")
    assert not any("COUNT(" in s.upper() for s in statements)
    with count_sql() as statements:
        await gql("{ issues(first: 5, orderBy: {field: DEADLINE}) { totalCount } }")
    assert any("COUNT(" in s.upper() for s in statements)
