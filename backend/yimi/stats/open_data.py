"""Open data: the public statistics as plain GET URLs, for newspapers, spreadsheets and CDNs.

- ``GET /open-data/`` (also ``/open-data/statistics.json``): the years available and their URLs;
- ``GET /open-data/statistics/{year}.json``: what GraphQL answers for ``statistics(year)`` with every
  field (same names, camelCase): the year's latest release (``yimi.stats.releases``);
- ``GET /open-data/statistics/{year}.csv``: the total, township, category and month rows in one
  table (see ``yimi.stats.public_json.to_csv``), UTF-8 with a byte order mark.

No sign-in. Every answer carries ``Cache-Control: public, max-age=300`` and an ``ETag`` (a hash of the
body, so it changes exactly when a new release does); ``If-None-Match`` with it answers 304. A year
that is not listed answers 404, a malformed one 400, any other address under /open-data/ (such as a
trailing slash) 404, all as JSON.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from yimi.settings import Settings
from yimi.stats import releases
from yimi.stats.cache import public_statistics

CACHE_CONTROL = "public, max-age=300"
PATH = re.compile(r"^(?P<year>[^.]*)\.(?P<format>json|csv)$")
MEDIA = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers={"Cache-Control": "no-store"})


def _not_modified(request: Request, tag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
    return "*" in tags or tag in tags


def _answer(
    request: Request, body: bytes, media_type: str, filename: str | None = None, tag: str | None = None
) -> Response:
    tag = tag or releases.etag(body)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": tag, "Access-Control-Allow-Origin": "*"}
    if _not_modified(request, tag):
        return Response(status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def index(request: Request) -> Response:
    settings = _settings(request)
    years = await public_statistics.years(datetime.now(UTC), settings)
    body = {
        "threshold": settings.public_min_count,
        "years": years,
        "statistics": [
            {"year": y, "json": f"/open-data/statistics/{y}.json", "csv": f"/open-data/statistics/{y}.csv"}
            for y in years
        ],
    }
    return _answer(request, json.dumps(body, ensure_ascii=False).encode(), MEDIA["json"])


async def statistics(request: Request) -> Response:
    settings = _settings(request)
    match = PATH.match(request.path_params["name"])
    if match is None:
        return _error(404, "NOT_FOUND", "Use /open-data/statistics/{year}.json or .csv")
    text, kind = match["year"], match["format"]
    if not re.fullmatch(r"[0-9]{4}", text):
        return _error(400, "BAD_YEAR", f"The year must be four digits, not {text[:20]!r}")
    year = int(text)
    entry = await public_statistics.get(year, datetime.now(UTC), settings)  # a warm request costs one query
    if entry is None:
        return _error(404, "UNKNOWN_YEAR", f"No statistics for {year}; see /open-data/ for the years available")
    if kind == "json":
        return _answer(request, entry.json, MEDIA[kind], f"yimi-statistics-{year}.{kind}", entry.release.etag)
    return _answer(request, entry.csv, MEDIA[kind], f"yimi-statistics-{year}.{kind}")


async def not_found(request: Request) -> Response:
    """Any other address under /open-data (``2024.json/`` with a slash, a typo): a JSON 404 naming the right ones."""
    return _error(404, "NOT_FOUND", "Use /open-data/statistics/{year}.json or .csv; /open-data/ lists the years")


routes = [
    Route("/open-data/", index, methods=["GET", "HEAD"]),
    Route("/open-data", index, methods=["GET", "HEAD"]),
    Route("/open-data/statistics.json", index, methods=["GET", "HEAD"]),
    Route("/open-data/statistics/{name}", statistics, methods=["GET", "HEAD"]),
    Route("/open-data/{rest:path}", not_found, methods=["GET", "HEAD"]),
]
