"""HTTP answers as JSON bytes, with orjson: several times faster than the standard library on large
answers (a township page with outlines, the map layer), and UTF-8 instead of \\u escapes for Chinese.

An answer the response cache keeps (``yimi.graphql.response_cache``) is encoded once: its data is an
``EncodedData``, a dict that carries the whole response body (``body``), which ``json_body``
sends as it is — a cached province map layer (17 MB) is then not copied again for each request — and,
once a client has asked for it, that body gzipped once (``compressed``).
WebSocket messages keep Strawberry's encoder (text frames, as graphql-transport-ws requires).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger(__name__)

# Bodies at least this long are sent gzipped to clients that accept it, once compressed.
GZIP_MIN_BYTES = 32 * 1024
# nginx's default: a 17 MB map layer to 1.6 MB in 37 ms off the event loop (level 6: 1.3 MB in 100 ms).
GZIP_LEVEL = 1


class EncodedData(dict):
    """The ``data`` of an answer as its response body ``{"data": …}`` (``body``), and no objects: nothing
    reads an answer's objects once it is encoded, and the cache then keeps its JSON alone (the objects
    weighed 5.5 times it)."""

    body: bytes
    _gzip: asyncio.Task[bytes] | None = None

    async def gzipped(self) -> bytes | None:
        """The body gzipped: compressed once, in a thread, for every request that asks meanwhile and after;
        None if compressing failed (logged), and the body then goes as it is. Waiting for it is cheaper than
        sending ten times the bytes: under load, sending the province's map layer uncompressed while its gzip
        was under way (after each colour change) cost more than all the rest of a dashboard visit."""
        task = self._gzip
        if task is not None and (task.cancelled() or task.get_loop() is not asyncio.get_running_loop()):
            task = None  # its event loop ended (an app served by several loops, in tests): compressed again
        if task is None:
            task = self._gzip = asyncio.ensure_future(asyncio.to_thread(gzip.compress, self.body, GZIP_LEVEL, mtime=0))
            task.add_done_callback(_log_failure)
        try:
            return await asyncio.shield(task)  # a client going away does not cancel it for the others
        except Exception:
            return None


def _log_failure(task: asyncio.Future[bytes]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("gzip of a cached answer failed (%s): it is sent uncompressed", error)


def encoded(data: dict[str, Any]) -> EncodedData | None:
    """``data`` with its response body attached, or None when orjson cannot encode it (an integer past 64 bits)."""
    try:
        body = orjson.dumps({"data": data})
    except orjson.JSONEncodeError:
        return None
    result = EncodedData()
    result.body = body
    return result


def _encode(response: Any) -> bytes:
    try:
        return orjson.dumps(response)
    except orjson.JSONEncodeError:
        # What orjson refuses: an integer past 64 bits, or a lone surrogate (an error message may
        # quote the bad input), which only \u escapes can carry.
        return json.dumps(response, separators=(",", ":")).encode()


class JSONBody(Response):
    """A GraphQL answer over HTTP; ``encoded`` is the cached answer it sends, if it is one."""

    encoded: EncodedData | None = None


def json_body(response: Any) -> JSONBody:
    """The HTTP answer of a GraphQL response: a cached answer's body as it is, anything else encoded now."""
    data = response.get("data") if isinstance(response, dict) and response.keys() == {"data"} else None
    if isinstance(data, EncodedData):
        body = JSONBody(data.body, media_type="application/json")
        body.encoded = data
        return body
    return JSONBody(_encode(response), media_type="application/json")


def accepts_gzip(request: Request) -> bool:
    """Whether Accept-Encoding allows gzip (RFC 9110 12.5.3): its own weight if it is named, else ``*``'s."""
    weights: dict[str, float] = {}
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.partition(";")
        weights[coding.strip().lower()] = _quality(params)
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


async def compressed(request: Request, response: Any) -> Any:
    """A large cached answer gzipped for a client that accepts it (see EncodedData); any other answer (or
    WebSocket) as it is."""
    data = response.encoded if isinstance(response, JSONBody) else None
    if data is None or len(data.body) < GZIP_MIN_BYTES:
        return response
    response.headers.append("Vary", "Accept-Encoding")
    if not accepts_gzip(request) or (body := await data.gzipped()) is None:
        return response
    response.body = body
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(body))
    return response
