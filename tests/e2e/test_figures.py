"""The numbers follow the filters (real Chromium against the real API): the summary strip and the
township labels show issueSummary's figures for the active filters; the status filter and each
role's work queues (待办) select what the API selects."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, TEAM_MEMBER, gql, shot, sign_in_client, sign_in_session, wait_map

SUMMARY = """query($f: IssueFilter) { issueSummary(filter: $f) {
  total open overdue dueThisWeek byTownship { township { code } open } } }"""
OPEN = ["REPORTED", "DISPATCHED", "IN_PROGRESS", "RETURNED", "REOPENED"]


def figures(server: str, client, filter_: dict) -> tuple[dict, dict[str, int]]:
    s = gql(server, SUMMARY, {"f": filter_}, client=client)["issueSummary"]
    return s, {row["township"]["code"]: row["open"] for row in s["byTownship"]}


def stat(page: Page, name: str):
    return page.locator(f"#summary [data-stat='{name}'] .summary-value")


def label(page: Page, code: str):
    return page.locator(f".tw-label[data-code='{code}'] .tw-value")


def test_a_filter_changes_the_summary_strip_and_the_township_labels(server, staff, staff_page: Page):
    county, by_township = figures(server, staff, {})
    # 融资 + 红色: the web app asks for open financing issues with a red warning.
    narrow, narrow_by_township = figures(
        server, staff, {"categories": ["FINANCING"], "warningColors": ["RED"], "statuses": OPEN}
    )
    assert 0 < narrow["open"] < county["open"]
    code = max(narrow_by_township, key=lambda c: narrow_by_township[c])
    assert narrow_by_township[code] < by_township[code]

    page = staff_page
    page.goto(server + "/")
    wait_map(page)
    expect(stat(page, "open")).to_have_text(f"{county['open']:,}")
    expect(stat(page, "overdue")).to_have_text(f"{county['overdue']:,}")
    expect(page.locator("#summary .summary-scope")).to_contain_text("全县")
    expect(label(page, code)).to_have_text(str(by_township[code]))

    page.select_option("#f-category", "FINANCING")
    page.select_option("#f-warning", "RED")
    expect(stat(page, "open")).to_have_text(f"{narrow['open']:,}")
    expect(stat(page, "dueThisWeek")).to_have_text(f"{narrow['dueThisWeek']:,}")
    expect(page.locator("#summary .summary-scope")).to_contain_text("符合筛选")
    expect(label(page, code)).to_have_text(str(narrow_by_township[code]))
    # A township with no matching issue reads 0, not its unfiltered count.
    others = [c for c in by_township if c not in narrow_by_township]
    if others:
        expect(label(page, others[0])).to_have_text("0")
    shot(page, "53-filtered-figures")
    # The township's panel reads the same filtered figure as its label.
    page.goto(page.url + ("&" if "?" in page.url else "?") + f"sel={code}")
    wait_map(page)
    expect(page.locator("#panel[data-kind='township'] .stat-value").nth(1)).to_have_text(
        f"{narrow_by_township[code]:,}"
    )
    page.goto(server + "/")
    wait_map(page)

    page.click("#f-reset")
    expect(stat(page, "open")).to_have_text(f"{county['open']:,}")
    expect(label(page, code)).to_have_text(str(by_township[code]))


def count(server: str, client, filter_: dict) -> int:
    return gql(
        server, "query($f: IssueFilter) { issues(filter: $f, first: 0) { totalCount } }", {"f": filter_}, client=client
    )["issues"]["totalCount"]


def queue_options(page: Page) -> list[str]:
    return page.locator("#f-queue option").evaluate_all("(os) => os.map((o) => o.value).filter(Boolean)")


def test_status_filter_and_each_roles_queue(server, staff, staff_page: Page, browser):
    page = staff_page
    page.goto(server + "/?view=list&tab=issues")
    wait_map(page)
    page.select_option("#f-status", "DISPATCHED")
    expect(page.locator(".list-view")).to_have_attribute(
        "data-total", str(count(server, staff, {"statuses": ["DISPATCHED"]}))
    )
    assert "st=DISPATCHED" in page.url
    page.click("#f-reset")

    # The dispatcher's queues: to dispatch, returned, extension requests to decide, to confirm.
    assert queue_options(page) == ["TO_DISPATCH", "RETURNED", "EXTENSIONS_TO_DECIDE", "TO_CONFIRM"]
    for queue in ("TO_DISPATCH", "RETURNED"):
        page.select_option("#f-queue", queue)
        expect(page.locator(".list-view")).to_have_attribute("data-total", str(count(server, staff, {"queue": queue})))
        expect(page.locator("#summary [data-stat='open'] .summary-value")).to_be_visible()
    shot(page, "54-dispatcher-queue")

    # A team member's: waiting for them to accept, in progress, overdue; picking one opens the list.
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    try:
        member = context.new_page()
        sign_in_session(member, server, username=TEAM_MEMBER)
        member.goto(server + "/")
        wait_map(member)
        assert queue_options(member) == ["TEAM_TO_ACCEPT", "TEAM_IN_PROGRESS", "TEAM_OVERDUE"]
        with httpx.Client() as client:
            sign_in_client(server, client, username=TEAM_MEMBER)
            expected = {q: count(server, client, {"queue": q}) for q in queue_options(member)}
        assert expected["TEAM_TO_ACCEPT"] > 0
        for queue, total in expected.items():
            member.select_option("#f-queue", queue)
            expect(member.locator("#tab-issues")).to_have_attribute("aria-selected", "true")
            expect(member.locator(".list-view")).to_have_attribute("data-total", str(total))
        member.screenshot(path=str(ARTIFACTS / "55-team-member-queue.png"))
    finally:
        context.close()
