"""The web import in real Chromium: an administrator uploads a register, sees its errors row by
row, fixes the file, checks it again and imports it. Own server on its own demo database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.databases import query
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in_ui
from tests.imports.conftest import ok, yimi
from tests.imports.fixtures import HEADER, register_rows, write_csv
from tests.servers import yimi_serve

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
PASSWORD = "import password 1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (DIST / "index.html").exists():
        pytest.fail("frontend/dist/index.html is missing: run `make frontend` before the browser tests")
    db = f"sqlite://{tmp_path_factory.mktemp('web-import') / 'yimi.sqlite3'}"
    ok(yimi(db, "migrate"))
    ok(yimi(db, "demo", "--quiet"))
    admin = next(u for u, roles in query(db, "SELECT username, roles FROM staff ORDER BY id") if "admin" in roles)
    ok(yimi(db, "user", "set-password", admin, "--password", PASSWORD))
    with yimi_serve(db, DIST) as live:
        yield live.url, db, admin


def test_upload_see_the_errors_fix_and_import(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, db, admin = server
    seats = query(db, "SELECT name, seat_lon, seat_lat FROM township ORDER BY code LIMIT 3")
    rows = register_rows([(n, x + 0.0001, y) for n, x, y in seats])
    good_code = rows[1][1]
    rows[1][1] = good_code[:-1] + ("0" if good_code[-1] != "0" else "1")  # a typo in the check digit
    bad = write_csv(tmp_path / "名录.csv", HEADER, rows)
    before = query(db, "SELECT count(*) FROM enterprise")[0][0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 860}, locale="zh-CN")
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/")
        sign_in_ui(page, admin, PASSWORD)
        page.click("#open-import")
        dialog = page.locator("dialog.import-dialog")
        expect(dialog).to_be_visible()
        expect(page.locator("#import-template")).to_have_attribute("href", "/imports/templates/enterprises")
        page.set_input_files("#import-file", str(bad))
        page.click("#import-check")
        expect(page.locator("#import-status")).to_have_text("有错误的行须先改正（导入是全部或全不）。")
        problem = page.locator("#import-problems tbody tr.error")
        expect(problem).to_have_count(1)
        expect(problem.locator("td").nth(0)).to_have_text("3")
        expect(problem.locator("td").nth(1)).to_have_text("统一社会信用代码")
        # The reason in the page's language, by its code (the English one is its title).
        expect(problem.locator("td").nth(3)).to_have_text("校验位不对（代码有错字？）")
        expect(problem.locator("td").nth(3)).to_have_attribute("title", "check digit wrong (a typo in the code?)")
        expect(page.locator("#import-run")).to_be_disabled()
        assert query(db, "SELECT count(*) FROM enterprise")[0][0] == before  # a check writes nothing
        page.screenshot(path=str(tmp_path / "import-errors.png"))

        rows[1][1] = good_code
        fixed = write_csv(tmp_path / "名录-改.csv", HEADER, rows)
        page.set_input_files("#import-file", str(fixed))
        page.click("#import-check")
        expect(page.locator("#import-status")).to_have_text("检查通过：可以导入。")
        expect(page.locator("[data-count='created'] b")).to_have_text("3")
        page.click("#import-run")
        expect(page.locator("#import-status")).to_have_text("已导入。")
        expect(page.locator("#import-run")).to_be_disabled()
        browser.close()
    assert not errors, errors
    assert query(db, "SELECT count(*) FROM enterprise")[0][0] == before + 3
    assert query(db, "SELECT count(*) FROM enterprise WHERE uscc = ?", good_code) == [(1,)]


def test_a_dispatcher_has_no_import_button(server):
    from playwright.sync_api import sync_playwright

    base, db, _ = server
    dispatcher = next(
        u for u, roles in query(db, "SELECT username, roles FROM staff ORDER BY id") if roles == '["dispatcher"]'
    )
    ok(yimi(db, "user", "set-password", dispatcher, "--password", PASSWORD))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN")
        page.goto(base + "/")
        sign_in_ui(page, dispatcher, PASSWORD)
        page.wait_for_selector("#who")
        assert page.locator("#open-import").count() == 0
        browser.close()
