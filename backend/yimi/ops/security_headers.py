"""Security headers on every HTTP answer: a Content-Security-Policy, nosniff, a referrer policy, no framing.

The web app loads only its own built script and stylesheet (no inline script: Vite emits files),
images of its own, ``data:`` images (Leaflet's stylesheet has some) and the map tiles of
``YIMI_TILE_URL``, and talks to /graphql over fetch and a WebSocket. Nothing may frame a page
(``frame-ancestors 'none'``, and X-Frame-Options for browsers without CSP 2): a page on another
port of the same host used to frame the signed-in dashboard.

GraphiQL (the HTML answer at /graphql, backend/yimi/graphql/graphiql.html) loads React, GraphiQL
and its boot script from this server (/graphiql/, no CDN: a county network often has no internet)
and has no inline script. It gets a policy of its own, still unframeable, because GraphiQL's
React components add style elements (inline styles) and its stylesheet embeds ``data:`` fonts and
images; nothing else does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHIQL_PATH = "/graphql"
COMMON = "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


def tile_source(tile_url: str | None) -> str:
    """The CSP source that admits the tiles of ``tile_url`` (a Leaflet URL template), or ""."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url)
    host = parts.netloc
    if host.startswith("{s}."):
        host = "*" + host.removeprefix("{s}")  # subdomains a, b, c…: CSP allows a leading wildcard only
    if not parts.scheme or not host:
        return ""
    if "{" in host:
        return f"{parts.scheme}:"  # a host CSP cannot spell: any of that scheme (still no inline script)
    return f"{parts.scheme}://{host}"


def app_policy(tile_url: str | None) -> str:
    images = " ".join(filter(None, ["'self'", "data:", tile_source(tile_url)]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; font-src 'self'; connect-src 'self'; {COMMON}"
    )


def graphiql_policy() -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; {COMMON}"
    )


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers to each HTTP response as it starts."""

    def __init__(self, app: ASGIApp, tile_url: str | None = None):
        self.app = app
        self.policy = app_policy(tile_url)
        self.graphiql_policy = graphiql_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                graphiql = scope["path"] == GRAPHIQL_PATH and headers.get("content-type", "").startswith("text/html")
                headers["Content-Security-Policy"] = self.graphiql_policy if graphiql else self.policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                # Other sites (the tile server) learn the origin, never a path with filters or IDs.
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)
