"""Security headers on the web app, its client-side routes, /graphql and GraphiQL (issue 10, finding 8).

No answer carried a Content-Security-Policy, nosniff, a referrer policy or a framing rule: a page on
another port of the same host framed the signed-in dashboard. The browser's side of it (the
dashboard still loads under the policy, another origin cannot frame it) is in
test_headers_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
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
    # Strawberry's page loads GraphiQL from unpkg.com and runs one inline script: that one, by hash.
    inline = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert csp["script-src"] == ["https://unpkg.com", f"'sha256-{digest}'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert all(
        src.startswith("https://unpkg.com/") for src in re.findall(r'<script\s[^>]*src="([^"]+)"', response.text)
    )


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
