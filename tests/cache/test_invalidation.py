"""Every kind of write invalidates the response cache: a cached read shows the change at once.

One case per mutation of the published schema (a mutation added without a case here fails
``test_every_mutation_has_a_case``), and writes made outside the API: an import and a CLI command,
each in another process, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import pytest

from graphql import build_schema
from tests.conftest import count_sql, signed_in
from tests.imports.fixtures import HEADER, register_rows, write_csv
from tests.issues.workflow_helpers import Actors, call, gid, make_actors, ok
from yimi.accounts.models import Staff
from yimi.accounts.service import create_user
from yimi.enterprises.models import Enterprise
from yimi.townships.models import Township

ROOT = Path(__file__).resolve().parents[2]
MUTATIONS = sorted(build_schema((ROOT / "schema.graphql").read_text()).mutation_type.fields)  # type: ignore[union-attr]

ISSUE = """query CachedIssue($id: ID!) { node(id: $id) { ... on Issue {
  status version deadline escalatedAt events { action } extensionRequests { id status } } } }"""
ENTERPRISE = """query CachedEnterprise($id: ID!) { node(id: $id) { ... on Enterprise {
  commissioner { id } openIssueCount issues(first: 50) { totalCount } } } }"""
COUNTS = "query CachedCounts { issues(first: 0) { totalCount } enterprises(first: 0) { totalCount } }"
TEAM = "query CachedTeam($id: ID!) { node(id: $id) { ... on ServiceTeam { townships { code } } } }"
ME = "query CachedMe { me { id } }"
VISIT = """mutation($input: RecordVisitInput!) { recordVisit(input: $input) { visit { id } userErrors { message } } }"""
ASSIGN = """mutation($input: AssignCommissionerInput!) {
  assignCommissioner(input: $input) { enterprise { id } userErrors { message } } }"""
COVERAGE = """mutation($input: SetTeamCoverageInput!) {
  setTeamCoverage(input: $input) { team { id } userErrors { message } } }"""
SIGN_IN = "mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { staff { id } } }"
SIGN_OUT = "mutation { signOut { signedOut } }"


async def cached(client, query: str, variables: dict | None = None) -> dict:
    """The answer of ``query``, asked twice: the second time from the cache (only the version is read)."""
    first = await client(query, variables)
    with count_sql() as statements:
        second = await client(query, variables)
    assert second == first
    assert len(statements) == 1 and "FROM data_version" in statements[0], statements
    return first


def issue_of(answer: dict) -> dict:
    return answer["node"]


@pytest.fixture(scope="module")
async def actors(app):
    actors = await make_actors(app)
    yield actors
    for http in actors.https:
        await http.aclose()


async def _reported(a: Actors) -> dict:
    return await ok(
        a.dispatcher,
        "reportIssue",
        enterpriseId=gid("Enterprise", a.people.enterprise.id),
        category="FINANCING",
        title=f"缓存失效测试 {uuid.uuid4().hex[:6]}",
        source="HOTLINE",
    )


async def _dispatched(a: Actors) -> dict:
    issue = await _reported(a)
    return await ok(
        a.dispatcher,
        "dispatchIssue",
        issueId=issue["id"],
        version=issue["version"],
        leadTeamId=gid("ServiceTeam", a.people.team_a),
    )


async def _in_progress(a: Actors) -> dict:
    issue = await _dispatched(a)
    return await ok(a.member_a, "acceptDispatch", issueId=issue["id"], version=issue["version"])


async def _resolved(a: Actors) -> dict:
    issue = await _in_progress(a)
    return await ok(a.member_a, "resolveIssue", issueId=issue["id"], version=issue["version"], summary="已办结")


async def _issue_change(a: Actors, start: Callable[[Actors], Awaitable[dict]], act, expect) -> None:
    """An issue in the state ``start`` makes; the dispatcher's cached read of it, then ``act``; the
    read shows what ``expect`` says."""
    issue = await start(a)
    before = issue_of(await cached(a.dispatcher, ISSUE, {"id": issue["id"]}))
    await act(issue)
    after = issue_of(await a.dispatcher(ISSUE, {"id": issue["id"]}))
    assert after != before
    expect(before, after)


def _status(status: str):
    def expect(before: dict, after: dict) -> None:
        assert after["status"] == status and after["version"] == before["version"] + 1

    return expect


async def case_report_issue(a: Actors) -> None:
    before = await cached(a.dispatcher, COUNTS)
    await _reported(a)
    after = await a.dispatcher(COUNTS)
    assert after["issues"]["totalCount"] == before["issues"]["totalCount"] + 1


async def case_dispatch_issue(a: Actors) -> None:
    async def act(issue):
        await ok(
            a.dispatcher,
            "dispatchIssue",
            issueId=issue["id"],
            version=issue["version"],
            leadTeamId=gid("ServiceTeam", a.people.team_a),
        )

    await _issue_change(a, _reported, act, _status("DISPATCHED"))


async def case_accept_dispatch(a: Actors) -> None:
    async def act(issue):
        await ok(a.member_a, "acceptDispatch", issueId=issue["id"], version=issue["version"])

    await _issue_change(a, _dispatched, act, _status("IN_PROGRESS"))


async def case_return_dispatch(a: Actors) -> None:
    async def act(issue):
        await ok(a.member_a, "returnDispatch", issueId=issue["id"], version=issue["version"], reason="不属于本团")

    await _issue_change(a, _dispatched, act, _status("RETURNED"))


async def case_add_issue_note(a: Actors) -> None:
    async def act(issue):
        await ok(a.dispatcher, "addIssueNote", issueId=issue["id"], note="已电话回访。")

    def expect(before, after):
        assert len(after["events"]) == len(before["events"]) + 1

    await _issue_change(a, _dispatched, act, expect)


async def case_resolve_issue(a: Actors) -> None:
    async def act(issue):
        await ok(a.member_a, "resolveIssue", issueId=issue["id"], version=issue["version"], summary="已办结")

    await _issue_change(a, _in_progress, act, _status("RESOLVED"))


async def case_confirm_issue(a: Actors) -> None:
    async def act(issue):
        await ok(a.dispatcher, "confirmIssue", issueId=issue["id"], version=issue["version"], satisfaction="SATISFIED")

    await _issue_change(a, _resolved, act, _status("CLOSED"))


async def case_reopen_issue(a: Actors) -> None:
    async def closed(a: Actors) -> dict:
        issue = await _resolved(a)
        return await ok(
            a.dispatcher, "confirmIssue", issueId=issue["id"], version=issue["version"], satisfaction="SATISFIED"
        )

    async def act(issue):
        await ok(a.dispatcher, "reopenIssue", issueId=issue["id"], version=issue["version"], reason="企业再次来电")

    await _issue_change(a, closed, act, _status("REOPENED"))


async def _extension_requested(a: Actors) -> dict:
    issue = await _in_progress(a)
    payload = await call(
        a.member_a,
        "requestExtension",
        issueId=issue["id"],
        version=issue["version"],
        requestedDeadline="2099-01-01T09:00:00Z",
        reason="需省级部门审批",
    )
    assert payload["userErrors"] == [], payload
    return payload["issue"]


async def case_request_extension(a: Actors) -> None:
    async def act(issue):
        payload = await call(
            a.member_a,
            "requestExtension",
            issueId=issue["id"],
            version=issue["version"],
            requestedDeadline="2099-01-01T09:00:00Z",
            reason="需省级部门审批",
        )
        assert payload["userErrors"] == [], payload

    def expect(before, after):
        assert before["extensionRequests"] == [] and [r["status"] for r in after["extensionRequests"]] == ["PENDING"]

    await _issue_change(a, _in_progress, act, expect)


async def case_decide_extension(a: Actors) -> None:
    async def act(issue):
        [request] = issue["extensionRequests"]
        payload = await call(
            a.dispatcher, "decideExtension", extensionRequestId=request["id"], version=issue["version"], approve=True
        )
        assert payload["userErrors"] == [], payload

    def expect(before, after):
        assert [r["status"] for r in after["extensionRequests"]] == ["APPROVED"]
        assert after["deadline"] != before["deadline"]

    await _issue_change(a, _extension_requested, act, expect)


async def case_escalate_issue(a: Actors) -> None:
    async def act(issue):
        await ok(a.dispatcher, "escalateIssue", issueId=issue["id"], version=issue["version"], reason="企业多次催办")

    def expect(before, after):
        assert before["escalatedAt"] is None and after["escalatedAt"] is not None

    await _issue_change(a, _dispatched, act, expect)


async def case_record_visit(a: Actors) -> None:
    enterprise = gid("Enterprise", a.people.enterprise.id)
    before = await cached(a.dispatcher, ENTERPRISE, {"id": enterprise})
    visit = {
        "enterpriseId": enterprise,
        "visitedOn": date.today().isoformat(),
        "notes": "走访了解用工情况",
        "issues": [{"category": "LABOUR", "title": f"走访问题 {uuid.uuid4().hex[:6]}"}],
    }
    payload = (await a.commissioner(VISIT, {"input": visit}))["recordVisit"]
    assert payload["userErrors"] == [] and payload["visit"], payload
    after = await a.dispatcher(ENTERPRISE, {"id": enterprise})
    assert after["node"]["issues"]["totalCount"] == before["node"]["issues"]["totalCount"] + 1


async def case_assign_commissioner(a: Actors) -> None:
    enterprise = gid("Enterprise", a.people.enterprise.id)
    before = await cached(a.dispatcher, ENTERPRISE, {"id": enterprise})
    other = gid("Staff", a.people.other_commissioner.id)
    try:
        payload = (await a.dispatcher(ASSIGN, {"input": {"enterpriseId": enterprise, "commissionerId": other}}))[
            "assignCommissioner"
        ]
        assert payload["userErrors"] == [], payload
        after = await a.dispatcher(ENTERPRISE, {"id": enterprise})
        assert before["node"]["commissioner"]["id"] != other and after["node"]["commissioner"]["id"] == other
    finally:
        back = {"enterpriseId": enterprise, "commissionerId": gid("Staff", a.people.commissioner.id)}
        assert (await a.dispatcher(ASSIGN, {"input": back}))["assignCommissioner"]["userErrors"] == []


async def case_set_team_coverage(a: Actors) -> None:
    team = gid("ServiceTeam", a.people.team_c)
    before = await cached(a.admin, TEAM, {"id": team})
    codes = [t["code"] for t in before["node"]["townships"]]
    first = await Township.all().order_by("code").first()
    wanted = sorted(codes[1:] if codes else [first.code])  # type: ignore[union-attr]
    try:
        payload = (await a.admin(COVERAGE, {"input": {"teamId": team, "townshipCodes": wanted}}))["setTeamCoverage"]
        assert payload["userErrors"] == [], payload
        after = await a.admin(TEAM, {"id": team})
        assert sorted(t["code"] for t in after["node"]["townships"]) == wanted
    finally:
        await a.admin(COVERAGE, {"input": {"teamId": team, "townshipCodes": codes}})


async def _fresh_user(app):
    """A signed-in client of a new member of staff of their own (sign-outs do not disturb other tests)."""
    name = f"cache{uuid.uuid4().hex[:8]}"
    department = (await Staff.all().order_by("id").first()).department_id  # type: ignore[union-attr]
    from yimi.accounts.models import Department
    from yimi.accounts.read_rules import Role

    dept = await Department.get(id=department)
    staff = await create_user(name, "缓存测试", dept.name, [Role.VIEWER], "correct horse battery")
    return staff, await signed_in(app, staff)


async def case_sign_in(a: Actors, app) -> None:
    staff, first = await _fresh_user(app)
    import httpx

    from tests.conftest import TEST_PASSWORD, GraphQLClient

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        client = GraphQLClient(http)
        assert (await cached(client, ME))["me"] is None
        assert (await client(SIGN_IN, {"u": staff.username, "p": TEST_PASSWORD}))["signIn"]["staff"]
        assert (await client(ME))["me"] == {"id": gid("Staff", staff.id)}
    await first.http.aclose()


async def case_sign_out(a: Actors, app) -> None:
    staff, first = await _fresh_user(app)
    second = await signed_in(app, staff)  # the same person on another device
    try:
        assert (await cached(second, ME))["me"] == {"id": gid("Staff", staff.id)}
        await first(SIGN_OUT)
        assert (await second(ME))["me"] is None  # every session ended, the cached answer too
    finally:
        await first.http.aclose()
        await second.http.aclose()


CASES: dict[str, Callable] = {
    "reportIssue": case_report_issue,
    "dispatchIssue": case_dispatch_issue,
    "acceptDispatch": case_accept_dispatch,
    "returnDispatch": case_return_dispatch,
    "addIssueNote": case_add_issue_note,
    "resolveIssue": case_resolve_issue,
    "confirmIssue": case_confirm_issue,
    "reopenIssue": case_reopen_issue,
    "requestExtension": case_request_extension,
    "decideExtension": case_decide_extension,
    "escalateIssue": case_escalate_issue,
    "recordVisit": case_record_visit,
    "assignCommissioner": case_assign_commissioner,
    "setTeamCoverage": case_set_team_coverage,
    "signIn": case_sign_in,
    "signOut": case_sign_out,
}
NEEDS_APP = {"signIn", "signOut"}


def test_every_mutation_has_a_case():
    assert set(MUTATIONS) == set(CASES), "each mutation needs a case here showing it invalidates cached reads"


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_a_mutation_shows_in_cached_reads_at_once(mutation, actors, app):
    case = CASES.get(mutation)
    assert case is not None, f"no invalidation case for {mutation}: add one to CASES"
    await (case(actors, app) if mutation in NEEDS_APP else case(actors))


# -- writes from other processes -----------------------------------------------------------------


def _yimi(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "YIMI_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "yimi.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


async def test_an_import_in_another_process_shows_in_cached_reads(gql, settings, tmp_path):
    township = await Township.all().order_by("code").first()
    assert township is not None
    rows = register_rows([(township.name, township.seat_lon, township.seat_lat)])
    rows[0][0] = f"尉氏县缓存测试{uuid.uuid4().hex[:6]}有限公司"
    rows[0][1] = _unused_uscc(await Enterprise.all().values_list("uscc", flat=True))
    path = write_csv(tmp_path / "register.csv", HEADER, rows)
    before = await cached(gql, COUNTS)
    result = _yimi(settings, "import", "enterprises", str(path))
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        after = await gql(COUNTS)
        assert after["enterprises"]["totalCount"] == before["enterprises"]["totalCount"] + 1
    finally:
        # The shared demo stays as generated: tests/demo checks its exact counts.
        await Enterprise.filter(uscc=rows[0][1]).delete()


def _unused_uscc(taken) -> str:
    from tests.imports.fixtures import make_uscc

    taken = set(taken)
    return next(u for n in range(90_000_000, 90_001_000) if (u := make_uscc(n)) not in taken)


async def test_a_cli_write_in_another_process_shows_in_cached_reads(app, settings):
    staff, client = await _fresh_user(app)
    try:
        assert (await cached(client, ME))["me"] == {"id": gid("Staff", staff.id)}
        result = _yimi(settings, "user", "disable", staff.username)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (await client(ME))["me"] is None
    finally:
        await client.http.aclose()
