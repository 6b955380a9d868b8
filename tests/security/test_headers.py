"""Security headers on the web app, its client-side routes, /graphql and GraphiQL (issue 10, finding 8).

No answer carried a Content-Security-Policy, nosniff, a referrer policy or a framing rule: a page on
another port of the same host framed the signed-in dashboard. The browser's side of it (the
dashboard still loads under the policy, another origin cannot frame it) is in
test_headers_browser.py.
"""

from __future__ import annotations

import re

import httpx
import pytest

from yimi.app import create_app
from yimi.ops.security_headers import app_policy, tile_source


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def assert_common(response: httpx.Response) -> dict[str, list[str]]:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    csp = directives(headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    return csp


@pytest.mark.parametrize("path", ["/", "/issues/42", "/?view=list&t=410223101", "/healthz"])
async def test_pages_get_the_strict_policy(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    csp = assert_common(response)
    # No inline script, no eval, no script from anywhere else: an injected <script> cannot run.
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]


async def test_graphql_answers_get_the_strict_policy(client):
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}
    assert assert_common(response)["script-src"] == ["'self'"]
    refused = await client.post("/graphql", content=b"null", headers={"content-type": "application/json"})
    assert refused.status_code == 400
    assert_common(refused)


async def test_graphiql_gets_its_own_policy_still_unframeable(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()
    csp = assert_common(response)
    # Our page (issue 12, item 8): every script from this server, none inline, nothing from a CDN.
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    # GraphiQL's dialogs add <style> elements; its stylesheet embeds data: fonts and images.
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["font-src"] == ["'self'", "data:"] and csp["img-src"] == ["'self'", "data:"]
    assert not re.findall(r"<script[^>]*>\s*[^<\s]", response.text)  # no inline script
    assert "unpkg.com" not in response.text and "https://" not in response.text
    sources = re.findall(r'<(?:script|link)\s[^>]*(?:src|href)="([^"]+)"', response.text)
    assert sources and all(src.startswith("/graphiql/") for src in sources)


async def test_graphiql_assets_are_served_by_the_app(tmp_path, settings, demo):
    """The /graphiql/ mount serves the built copies (frontend/dist/graphiql); unknown files 404."""
    dist = tmp_path / "dist"
    (dist / "graphiql").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>shell</title>", encoding="utf-8")
    (dist / "graphiql" / "yimi-graphiql.js").write_text("// boot", encoding="utf-8")
    app = create_app(settings.model_copy(update={"frontend_dist": dist}), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        served = await c.get("/graphiql/yimi-graphiql.js")
        assert served.status_code == 200 and served.text == "// boot"
        assert "javascript" in served.headers["content-type"]
        assert assert_common(served)["script-src"] == ["'self'"]
        assert (await c.get("/graphiql/missing.js")).status_code == 404


@pytest.mark.parametrize(
    "tile_url,source",
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.com:8443/{z}/{x}/{y}.png", "https://*.tile.example.com:8443"),
        ("https://tiles-{s}.example.com/{z}/{x}/{y}.png", "https:"),
        (None, ""),
    ],
)
def test_map_tiles_are_allowed_from_their_origin_only(tile_url, source):
    assert tile_source(tile_url) == source
    images = directives(app_policy(tile_url))["img-src"]
    assert images == ["'self'", "data:", *([source] if source else [])]


async def test_the_tile_origin_reaches_the_header(settings, demo):
    tiles = settings.model_copy(update={"tile_url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"})
    app = create_app(tiles, manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        response = await c.get("/")
    assert "https://tile.openstreetmap.org" in directives(response.headers["content-security-policy"])["img-src"]
