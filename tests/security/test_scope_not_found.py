"""An enterprise outside the caller's townships does not exist for it (issue 10, finding 9).

A township-scoped member of staff acting on such an enterprise got FORBIDDEN ("you act only on
enterprises in townships …") where a missing ID gets NOT_FOUND: the difference told which IDs
exist. Now every answer about an enterprise outside the scope is the answer about a missing one,
whatever else the input gets wrong, and nothing is written.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.conftest import CSRF_HEADERS, signed_in
from yimi.accounts.models import PartnerToken, Staff
from yimi.accounts.tokens import create_token
from yimi.enterprises.models import CommissionerAssignment, Enterprise, Visit
from yimi.issues.models import Issue
from yimi.teams.models import ServiceTeam
from yimi.townships.models import Township


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


MISSING = gid("Enterprise", 2**31 - 1)

REPORT = (
    'mutation($e: ID!) { reportIssue(input: {enterpriseId: $e, category: POWER, title: "线路跳闸",'
    " source: HOTLINE}) { issue { id } userErrors { field code message } } }"
)
ASSIGN = (
    "mutation($e: ID!, $c: ID) { assignCommissioner(input: {enterpriseId: $e, commissionerId: $c})"
    " { enterprise { id } userErrors { field code message } } }"
)
VISIT = (
    'mutation($e: ID!, $t: ID, $c: ID) { recordVisit(input: {enterpriseId: $e, visitedOn: "2024-03-01",'
    ' teamId: $t, commissionerId: $c, issues: [{category: POWER, title: "线路跳闸"}]})'
    " { visit { id } userErrors { field code message } } }"
)


@pytest.fixture(scope="module")
async def world(app, demo):
    inside, outside = await Township.all().order_by("code").limit(2)
    staff = await Staff.create(
        username=f"scoped-{uuid.uuid4().hex[:8]}",
        name="乡镇派单员",
        department_id=(await Staff.first()).department_id,
        roles=["dispatcher"],
        township_scope=[inside.code],
    )
    client = await signed_in(app, staff)
    commissioner = next(s for s in await Staff.filter(is_active=True).order_by("id") if "commissioner" in s.roles)
    team = await ServiceTeam.all().order_by("id").first()
    yield {
        "client": client,
        "outside": gid("Enterprise", (await Enterprise.filter(township_id=outside.id).order_by("id").first()).id),
        "inside": gid("Enterprise", (await Enterprise.filter(township_id=inside.id).order_by("id").first()).id),
        "inside_code": inside.code,
        "commissioner": gid("Staff", commissioner.id),
        "team": gid("ServiceTeam", team.id),
    }
    await client.http.aclose()


async def written() -> tuple[int, int, int]:
    return await Issue.all().count(), await Visit.all().count(), await CommissionerAssignment.all().count()


async def answer(client, query: str, variables: dict) -> dict:
    data = await client(query, variables)
    [payload] = data.values()
    return payload


@pytest.mark.parametrize(
    "query,others",
    [
        (REPORT, {}),
        (ASSIGN, {"c": "commissioner"}),
        (ASSIGN, {"c": None}),
        (ASSIGN, {"c": gid("Staff", 2**31 - 1)}),  # an unknown commissioner too: still the enterprise first
        (VISIT, {"t": "team"}),
        (VISIT, {"c": "commissioner"}),
        (VISIT, {"t": gid("ServiceTeam", 2**31 - 1)}),
    ],
)
async def test_an_enterprise_outside_the_scope_answers_as_a_missing_one(world, query, others):
    variables = {k: world.get(v, v) if isinstance(v, str) else v for k, v in others.items()}
    before = await written()
    outside = await answer(world["client"], query, {"e": world["outside"], **variables})
    missing = await answer(world["client"], query, {"e": MISSING, **variables})
    assert outside == missing
    assert outside["userErrors"] == [{"field": "enterpriseId", "code": "NOT_FOUND", "message": "no such enterprise"}]
    assert await written() == before


async def test_inside_the_scope_the_same_calls_work(world):
    result = await answer(world["client"], REPORT, {"e": world["inside"]})
    assert result["userErrors"] == [] and result["issue"]
    result = await answer(world["client"], ASSIGN, {"e": world["inside"], "c": world["commissioner"]})
    assert result["userErrors"] == [] and result["enterprise"]


async def test_a_partner_token_outside_its_townships_gets_the_missing_answer(client, world):
    token, secret = await create_token(
        f"partner-{uuid.uuid4().hex[:8]}", ["enterprises:read", "issues:report"], [world["inside_code"]], None
    )
    headers = {"authorization": f"Bearer {secret}", **CSRF_HEADERS}

    async def report(enterprise: str) -> dict:
        response = await client.post(
            "/graphql", json={"query": REPORT, "variables": {"e": enterprise}}, headers=headers
        )
        return response.json()["data"]["reportIssue"]

    try:
        assert await report(world["outside"]) == await report(MISSING)
        assert (await report(MISSING))["userErrors"][0]["code"] == "NOT_FOUND"
    finally:
        await PartnerToken.filter(id=token.id).delete()
