"""The public statistics page (/public) in real Chromium, signed out, against the real API.

Figures on the page are compared with what `statistics` answers to an anonymous client; the CSV and
JSON downloads are parsed and compared too. axe-core (frontend/node_modules, pinned) is run in the
page; the keyboard reaches the year picker and the downloads; screenshots (zh, en, phone, print) and
an A4 PDF go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import json
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, axe_violations, gql, shot

READY = ".public-content[data-charts]"

COUNT = "value withheld low high reason"
ROW = f"key label reported {{ {COUNT} }} open {{ {COUNT} }} resolved {{ {COUNT} }} overdue {{ {COUNT} }} onTimeRate satisfactionRate"
STATS = f"""query($y: Int!) {{ statistics(year: $y) {{
  year threshold releasedAt nextReleaseAt total {{ {ROW} }} byMonth {{ {ROW} }} byCategory {{ {ROW} }} byTownship {{ {ROW} }}
  medianWorkingDaysToResolve enterprisesServed {{ {COUNT} }} visits {{ {COUNT} }} }} }}"""


def years(server: str) -> list[int]:
    return gql(server, "{ statisticsYears }")["statisticsYears"]


def stats(server: str, year: int) -> dict:
    return gql(server, STATS, {"y": year})["statistics"]


def count_text(c: dict, lang: str = "zh") -> str:
    """What the page prints for a PublicCount: the number, or withheld with the API's own range."""
    if c["value"] is not None and not c["withheld"]:
        return f"{c['value']:,}"
    rng = f"{c['low']:,}–{c['high']:,}"
    return f"不公开（{rng}）" if lang == "zh" else f"withheld ({rng})"


def expect_count(cell, c: dict, lang: str = "zh") -> None:
    """A table cell shows the count; a withheld one as a link (its explanation is a tooltip beside it)."""
    if c["withheld"]:
        expect(cell.locator(".withheld-link")).to_have_text(count_text(c, lang))
    else:
        expect(cell).to_have_text(count_text(c, lang))


def open_public(page: Page, server: str, query: str = "") -> None:
    page.goto(f"{server}/public{query}")
    page.wait_for_selector(READY, state="attached", timeout=20000)


@pytest.fixture
def latest(server) -> dict:
    ys = years(server)
    assert ys, "the demo publishes at least one year"
    return stats(server, max(ys))


def test_signed_out_page_shows_the_api_figures(server, page: Page, latest: dict):
    open_public(page, server)
    expect(page.locator("form.signin-card")).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_contain_text(str(latest["year"]))
    expect(page.locator(READY)).to_have_attribute("data-charts", "ready")

    # Headline figures: a published count is its number; a withheld one reads 不公开 with its range.
    total = latest["total"]
    for key in ("reported", "resolved", "open", "overdue"):
        c = total[key]
        dd = page.locator(f"[data-figure='{key}'] dd")
        if c["withheld"]:
            expect(dd).to_contain_text("不公开")
            expect(dd).to_contain_text(f"{c['low']:,}–{c['high']:,}")
        else:
            expect(dd).to_contain_text(f"{c['value']:,}")
    for key, field in (("enterprises", "enterprisesServed"), ("visits", "visits")):
        c = latest[field]
        expected = f"{c['low']:,}–{c['high']:,}" if c["withheld"] else f"{c['value']:,}"
        expect(page.locator(f"[data-figure='{key}'] dd")).to_contain_text(expected)
    if total["onTimeRate"] is not None:
        expect(page.locator("[data-figure='on-time'] dd")).to_contain_text(f"{round(total['onTimeRate'] * 100)}%")

    # A table row per township, cell for cell (reported, resolved, open, overdue).
    for row in latest["byTownship"][:3]:
        cells = page.locator(f"#by-township-table tbody tr[data-key='{row['key']}'] td")
        for i, key in enumerate(("reported", "resolved", "open", "overdue")):
            expect_count(cells.nth(i), row[key])
    # The month table has the year's 12 months and the county total as its footer.
    expect(page.locator("#by-month-table tbody tr")).to_have_count(12)
    expect_count(page.locator("#by-month-table tfoot td").first, total["reported"])

    # Never a "<5": withheld figures read as what they are.
    body = page.locator("main").inner_text()
    assert "<5" not in body and "＜5" not in body
    withheld = [
        r
        for rows in ("byTownship", "byCategory", "byMonth")
        for r in latest[rows]
        for k in ("reported", "open")
        if r[k]["withheld"]
    ]
    if withheld:
        link = page.locator(".withheld-link").first
        expect(link).to_contain_text("不公开")
        expect(link).to_have_attribute("href", "#def-withheld")

    # The definitions show the API's threshold; the open-data addresses are listed.
    expect(page.locator("#def-threshold")).to_contain_text(str(latest["threshold"]))
    expect(page.locator("a[data-open-data='json']")).to_have_attribute(
        "href", f"{server}/open-data/statistics/{latest['year']}.json"
    )
    expect(page.locator("a[data-open-data='csv']")).to_have_attribute(
        "href", f"{server}/open-data/statistics/{latest['year']}.csv"
    )
    # The listed addresses answer without a session.
    for kind in ("json", "csv"):
        href = page.locator(f"a[data-open-data='{kind}']").get_attribute("href")
        assert httpx.get(href, timeout=30).status_code == 200, href
    # Each chart is an image with a text alternative pointing to its table.
    for chart in ("monthly", "category", "township"):
        box = page.locator(f"#chart-{chart}")
        expect(box).to_have_attribute("role", "img")
        expect(box).to_have_attribute("aria-label", re.compile("数据表"))
        assert box.locator("canvas").count() >= 1
    shot(page, "public-01-zh", full_page=True)


def test_csv_and_json_downloads_match_the_api(server, page: Page, latest: dict):
    open_public(page, server)
    block = page.locator("[data-table='by-township']")
    with page.expect_download() as info:
        block.locator("button[data-download='csv']").click()
    download = info.value
    assert download.suggested_filename == f"yimi-statistics-{latest['year']}-by-township.csv"
    raw = download.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so that Excel opens the Chinese"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["乡镇/街道", "受理诉求", "受理诉求·下限", "受理诉求·上限"]
    api_rows = latest["byTownship"]
    assert len(body) == len(api_rows) + 1  # and the county total
    for got, row in zip(body, api_rows, strict=False):
        assert got[0] == row["label"]
        for i, key in enumerate(("reported", "resolved", "open", "overdue")):
            c = row[key]
            value, low, high = got[1 + 3 * i : 4 + 3 * i]
            assert value == ("不公开" if c["withheld"] else str(c["value"]))
            assert (int(low), int(high)) == (c["low"], c["high"])
    assert body[-1][0] == "全县合计"

    with page.expect_download() as info:
        block.locator("button[data-download='json']").click()
    data = json.loads(info.value.path().read_text(encoding="utf-8"))
    assert data["year"] == latest["year"] and data["threshold"] == latest["threshold"]
    assert data["rows"] == api_rows
    assert data["total"] == latest["total"]


def test_english_switch_and_year_in_the_url(server, page: Page, latest: dict):
    open_public(page, server)
    page.click("#public-lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#figures-title")).to_have_text("Headline figures")
    expect(page.locator("#public-lang")).to_be_focused()
    assert "lang=en" in page.url
    expect(page.locator("[data-figure='reported'] dt")).to_have_text("Issues received")
    row = latest["byTownship"][0]
    expect_count(page.locator(f"#by-township-table tbody tr[data-key='{row['key']}'] td").first, row["reported"], "en")
    expect(page.locator("#definitions-title")).to_have_text("How these numbers are made")
    page.wait_for_selector(READY + "[data-charts='ready']", state="attached")
    shot(page, "public-02-en", full_page=True)

    ys = years(server)
    if len(ys) > 1:
        other = min(ys)
        page.select_option("#public-year", str(other))
        expect(page.locator("h1")).to_contain_text(str(other))
        assert f"year={other}" in page.url and "lang=en" in page.url
        first = stats(server, other)
        expect(page.locator("[data-figure='reported'] dd")).to_contain_text(
            f"{first['total']['reported']['value']:,}"
            if not first["total"]["reported"]["withheld"]
            else f"{first['total']['reported']['low']:,}"
        )
        # A link with the year opens that year.
        page.goto(f"{server}/public?year={other}")
        page.wait_for_selector(READY, state="attached")
        expect(page.locator("#public-year")).to_have_value(str(other))
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_the_release_date_is_shown_in_both_languages(server, page: Page, latest: dict):
    """Figures are released, not live: the page says as of when, and when the next release comes."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    released = datetime.fromisoformat(latest["releasedAt"]).astimezone(ZoneInfo("Asia/Shanghai"))
    open_public(page, server)
    line = page.locator("#public-release")
    expect(line).to_contain_text("数据截至")
    expect(line).to_contain_text(released.strftime("%Y/%m/%d"))
    expect(line).to_contain_text("下次发布" if latest["nextReleaseAt"] else "最终数字")
    expect(page.locator("#def-release")).to_contain_text("按期发布")
    open_public(page, server, "?lang=en")
    expect(line).to_contain_text("Figures as of")
    expect(line).to_contain_text("next release" if latest["nextReleaseAt"] else "final figures")
    expect(page.locator("#def-release")).to_contain_text("Released, not live")


def test_year_over_year_table_has_every_year(server, page: Page):
    ys = years(server)
    open_public(page, server)
    table = page.locator("#year-over-year-table")
    expect(table.locator("tbody tr")).to_have_count(len(ys))
    for y in ys:
        s = stats(server, y)
        expect_count(table.locator(f"tbody tr[data-key='{y}'] td").first, s["total"]["reported"])


def test_axe_finds_no_violation(server, browser):
    for query, viewport in (("", (1400, 860)), ("?lang=en", (1400, 860)), ("", (360, 740))):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
        page = context.new_page()
        try:
            open_public(page, server, query)
            violations = axe_violations(page)
            assert not violations, (query, viewport, violations)
            # With a withheld figure's explanation showing (keyboard focus), still none.
            if page.locator(".withheld-link").count():
                page.locator(".withheld-link").first.focus()
                expect(page.locator(".withheld-link:focus + .tip")).to_be_visible()
                assert not axe_violations(page), "with a tooltip open"
        finally:
            context.close()


def test_keyboard_reaches_the_year_picker_and_downloads(server, page: Page):
    open_public(page, server)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    seen: list[str] = []
    for _ in range(250):  # every withheld figure is a link on the way
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => { const e = document.activeElement;
                 const s = getComputedStyle(e);
                 return { id: e.id, dl: e.dataset.download || '', tag: e.tagName, outline: s.outlineStyle, width: s.outlineWidth }; }"""
        )
        # Focus is visible: the app's 3 px focus ring.
        assert info["outline"] != "none" and info["width"] != "0px", info
        seen.append(info["id"] or info["dl"] or info["tag"])
        if info["dl"] == "csv":
            break
    assert "public-year" in seen, seen
    assert seen[-1] == "csv", seen
    # The year picker works from the keyboard; a download starts with Enter.
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename.endswith(".csv")
    # The skip link moves focus to the content.
    page.focus(".skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_sign_in_screen_links_to_the_public_page(server, page: Page):
    page.goto(server + "/")
    link = page.locator("#public-link")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "/public")
    link.click()
    page.wait_for_selector(READY, state="attached", timeout=20000)
    assert page.url.endswith("/public")
    expect(page.locator(".staff-link")).to_have_attribute("href", "/")


def test_phone_and_print(server, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_public(page, server)
        expect(page.locator(READY)).to_have_attribute("data-charts", "ready")
        # Nothing wider than the phone: wide tables scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "public-03-phone-top")
        shot(page, "public-03-phone", full_page=True)
    finally:
        context.close()

    context = browser.new_context(viewport={"width": 1000, "height": 1200}, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_public(page, server)
        page.emulate_media(media="print")
        page.wait_for_timeout(300)
        for hidden in ("#public-year", "#public-lang", ".downloads >> nth=0", ".public-toc"):
            expect(page.locator(hidden)).to_be_hidden()
        expect(page.locator("#chart-township canvas").first).to_be_visible()
        shot(page, "public-04-print", full_page=True)
        pdf = page.pdf(format="A4", print_background=True)
        (ARTIFACTS / "public-04-print.pdf").write_bytes(pdf)
        assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    finally:
        context.close()
    assert not errors, errors


def test_no_content_security_policy_violation(server, browser):
    """The server's CSP refuses inline styles: the page and its charts (tooltips included) need none."""
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));"
    )
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        open_public(page, server)
        for chart in ("#chart-monthly", "#chart-category", "#chart-township"):
            box = page.locator(chart).bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
            page.wait_for_timeout(250)
        if page.locator(".withheld-link").count():
            page.locator(".withheld-link").first.hover()
        page.click("#public-lang")
        page.wait_for_timeout(300)
        violations = page.evaluate("window.__csp")
        assert not violations and not console, (violations, console)
    finally:
        context.close()
