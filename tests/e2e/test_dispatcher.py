"""Each person is offered only what they may do (Issue.viewerActions), and the dispatcher's
decisions work end to end in real Chromium: deciding a team's extension request (延期审批) and
escalating an issue (督办)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, TEAM_MEMBER, gql, reported_issue, shot, sign_in_client, sign_in_session, wait_map

ISSUES = """{ issues(first: 50, filter: {statuses: [IN_PROGRESS]}) {
  nodes { id version deadline enterprise { id } extensionRequests { status } } } }"""
REQUEST = """mutation($i: RequestExtensionInput!) {
  requestExtension(input: $i) { issue { id deadline } userErrors { code message } } }"""


def request_extension(server: str) -> tuple[dict, str]:
    """A team member of the lead team asks to move an issue's deadline by a week; returns the issue
    and the deadline asked for."""
    with httpx.Client() as member:
        sign_in_client(server, member, username=TEAM_MEMBER)
        for issue in gql(server, ISSUES, client=member)["issues"]["nodes"]:
            if any(r["status"] == "PENDING" for r in issue["extensionRequests"]):
                continue
            wanted = (datetime.fromisoformat(issue["deadline"]) + timedelta(days=7)).isoformat()
            variables = {
                "i": {
                    "issueId": issue["id"],
                    "version": issue["version"],
                    "requestedDeadline": wanted,
                    "reason": "等待设备到货",
                }
            }
            answer = gql(server, REQUEST, variables, client=member)["requestExtension"]
            if not answer["userErrors"]:
                return issue, wanted
    raise AssertionError(f"{TEAM_MEMBER} leads no in-progress issue to ask an extension for")


def test_dispatcher_decides_an_extension_and_escalates(server, staff, staff_page: Page):
    issue, wanted = request_extension(server)
    page = staff_page
    page.goto(server + f"/?ent={issue['enterprise']['id']}")
    wait_map(page)
    card = page.locator(f".issue-card[data-issue='{issue['id']}']")
    expect(card.locator(".extension-list li[data-status='PENDING']")).to_contain_text("待审批")

    decide = card.locator("details[data-action='decide-extension']")
    decide.locator("summary").click()
    decide.locator("select[name=approve]").select_option("true")
    decide.locator("textarea[name=note]").fill("同意延期一周")
    shot(page, "50-extension-decision")
    decide.locator("button[type=submit]").click()
    card = page.locator(f".issue-card[data-issue='{issue['id']}']")
    expect(card.locator(".extension-list li[data-status='APPROVED']")).to_contain_text("已同意", timeout=10000)
    after = gql(
        server, "query($id: ID!) { node(id: $id) { ... on Issue { deadline } } }", {"id": issue["id"]}, client=staff
    )
    assert datetime.fromisoformat(after["node"]["deadline"]) == datetime.fromisoformat(wanted)

    escalate = card.locator("details[data-action='escalate']")
    escalate.locator("summary").click()
    escalate.locator("button[type=submit]").click()
    expect(escalate.locator("textarea[name=reason]")).to_have_attribute("aria-invalid", "true")
    escalate.locator("textarea[name=reason]").fill("超期风险，请主办单位加快办理")
    escalate.locator("button[type=submit]").click()
    card = page.locator(f".issue-card[data-issue='{issue['id']}']")
    expect(card.locator(".facts")).to_contain_text("已督办", timeout=10000)
    expect(card.locator(".timeline")).to_contain_text("督办")
    shot(page, "51-escalated")


def forms_on(page: Page, issue_id: str) -> set[str]:
    card = page.locator(f".issue-card[data-issue='{issue_id}']")
    expect(card).to_be_visible(timeout=10000)
    return set(card.locator("details.action").evaluate_all("(ds) => ds.map((d) => d.dataset.action)"))


def test_dispatcher_is_offered_no_accept_and_a_team_member_no_dispatch(server, staff, staff_page: Page, browser):
    with httpx.Client() as member:
        sign_in_client(server, member, username=TEAM_MEMBER)
        waiting = gql(
            server,
            "{ issues(first: 1, filter: {queue: TEAM_TO_ACCEPT}) { nodes { id enterprise { id } viewerActions } } }",
            client=member,
        )["issues"]["nodes"][0]
    assert "ACCEPT" in waiting["viewerActions"]
    reported = reported_issue(server, staff)

    # The dispatcher: dispatch on a reported issue; no accept or return on the dispatched one.
    page = staff_page
    page.goto(server + f"/?ent={reported['enterprise']['id']}")
    wait_map(page)
    assert "dispatch" in forms_on(page, reported["id"])
    page.goto(server + f"/?ent={waiting['enterprise']['id']}")
    wait_map(page)
    offered = forms_on(page, waiting["id"])
    assert not offered & {"accept", "return", "resolve"}, offered
    assert "escalate" in offered
    assert page.locator("#panel details[data-action='report']").count() == 1

    # The team member: accept and return on their team's order, and no dispatch anywhere.
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    try:
        mpage = context.new_page()
        sign_in_session(mpage, server, username=TEAM_MEMBER)
        mpage.goto(server + f"/?ent={waiting['enterprise']['id']}")
        wait_map(mpage)
        offered = forms_on(mpage, waiting["id"])
        assert {"accept", "return"} <= offered, offered
        assert (
            mpage.locator("#panel details[data-action='dispatch'], #panel details[data-action='escalate']").count() == 0
        )
        # Reporting an issue is for dispatchers and the enterprise's commissioner (viewerCanReportIssue).
        assert mpage.locator("#panel details[data-action='report']").count() == 0
        mpage.screenshot(path=str(ARTIFACTS / "52-team-member-forms.png"))
    finally:
        context.close()
