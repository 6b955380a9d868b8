"""The web import's HTTP side: who may upload, the dry-run report, the confirm, the size limit.

Runs on the shared demo database, so it only checks files or imports what is there already
(nothing changes); the browser test (tests/e2e/test_imports.py) imports new rows on its own server.
"""

from __future__ import annotations

import httpx

from tests.conftest import CSRF_HEADERS
from yimi.imports.export import export

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_only_an_administrator_with_the_csrf_header_uploads(app, client, sign_in, settings, tmp_path):
    path = tmp_path / "teams.xlsx"
    await export("teams", path, settings)
    files = {"file": ("teams.xlsx", path.read_bytes(), XLSX)}
    anonymous = await client.post("/imports/teams", files=files, headers=CSRF_HEADERS)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    dispatcher = await sign_in("dispatcher")
    refused = await dispatcher.http.post("/imports/teams", files=files, headers=CSRF_HEADERS)
    assert refused.status_code == 403 and refused.json()["error"]["message"] == "Only administrators import data."
    admin = await sign_in("admin")
    forged = await admin.http.post("/imports/teams", files=files, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "CSRF"


async def test_a_dry_run_reports_and_the_confirmed_run_imports_all_or_nothing(sign_in, settings, tmp_path):
    admin = await sign_in("admin")
    path = tmp_path / "enterprises.xlsx"
    await export("enterprises", path, settings)
    files = {"file": ("企业名录.xlsx", path.read_bytes(), XLSX)}
    dry = await admin.http.post("/imports/enterprises", files=files, data={"dryRun": "1"}, headers=CSRF_HEADERS)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["dryRun"], report["committed"], report["read"], report["unchanged"]) == (True, False, 600, 600)
    confirmed = await admin.http.post("/imports/enterprises", files=files, data={"dryRun": "0"}, headers=CSRF_HEADERS)
    assert confirmed.json()["committed"] is True and confirmed.json()["created"] == 0
    bad = "企业名称,统一社会信用代码,乡镇,行业\n坏公司,91410223MA44XYZ123,洧川镇,C\n".encode()
    answer = await admin.http.post(
        "/imports/enterprises", files={"file": ("坏.csv", bad, "text/csv")}, data={"dryRun": "0"}, headers=CSRF_HEADERS
    )
    body = answer.json()
    assert body["committed"] is False and body["rejected"] == 1
    assert body["problems"][0] == {
        "level": "error",
        "row": 2,
        "column": "统一社会信用代码",
        "value": "91410223MA44XYZ123",
        "reason": "not a unified social credit code (18 digits and capital letters)",
        "code": "bad_uscc",
        "params": {},
        "text": "坏.csv row 2, 统一社会信用代码 '91410223MA44XYZ123': not a unified social credit code (18 digits and capital letters)",
    }
    unreadable = await admin.http.post(
        "/imports/enterprises", files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}, headers=CSRF_HEADERS
    )
    assert unreadable.status_code == 400
    assert unreadable.json()["error"]["message"].startswith("x.csv: no header row naming the enterprises columns")


async def test_uploads_have_their_own_size_limit(sign_in, settings, tmp_path, monkeypatch):
    from yimi.app import create_app

    monkeypatch.setenv("YIMI_IMPORT_MAX_BYTES", str(3 * settings.max_request_bytes))
    small = create_app(settings.model_copy(update={"max_request_bytes": 2048}), manage_db=False)
    admin = await sign_in("admin")
    cookies = admin.http.cookies
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=small), base_url="http://testserver", cookies=cookies
    ) as c:
        # Larger than the usual request limit, within the import limit: read and checked.
        padding = "企业名称,统一社会信用代码,乡镇,行业\n" + "\n" * 4000
        ok = await c.post(
            "/imports/enterprises", files={"file": ("big.csv", padding.encode(), "text/csv")}, headers=CSRF_HEADERS
        )
        assert ok.status_code == 200, ok.text
        assert (await c.post("/graphql", content=b"x" * 4096, headers=CSRF_HEADERS)).status_code == 413
    monkeypatch.setenv("YIMI_IMPORT_MAX_BYTES", "4096")
    small = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=small), base_url="http://testserver", cookies=cookies
    ) as c:
        big = await c.post(
            "/imports/enterprises", files={"file": ("big.csv", b"x" * 10_000, "text/csv")}, headers=CSRF_HEADERS
        )
        assert big.status_code == 413


async def test_templates_download_for_administrators(client, sign_in):
    assert (await client.get("/imports/templates/issues")).status_code == 401
    admin = await sign_in("admin")
    answer = await admin.http.get("/imports/templates/issues")
    assert answer.status_code == 200
    assert 'filename="yimi-issues-template.xlsx"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"PK")
