"""Large cached answers go gzipped to clients that accept it (yimi.graphql.encoding): the map layer of a
province is 17 MB as JSON and about a tenth of that gzipped."""

from __future__ import annotations

import asyncio
import gzip

from tests.conftest import CSRF_HEADERS
from yimi.graphql.encoding import GZIP_MIN_BYTES

MAP = {"query": "query($f: EnterpriseFilter) { mapLayer(filter: $f) }", "variables": {"f": {}}}
SMALL = {"query": "{ me { username } }"}


async def _post(gql, body: dict, encoding: str):
    return await gql.http.post("/graphql", json=body, headers=CSRF_HEADERS | {"Accept-Encoding": encoding})


async def test_a_large_answer_is_sent_gzipped_once_compressed_and_reads_the_same(gql):
    first = await _post(gql, MAP, "gzip, deflate")
    assert first.status_code == 200
    plain = first.json()
    assert len(first.content) >= GZIP_MIN_BYTES
    assert "Accept-Encoding" in first.headers.get("vary", "")
    # The cold answer goes at once; its gzip is made meanwhile, off the event loop, for the next requests.
    for _ in range(100):
        again = await _post(gql, MAP, "gzip, deflate")
        if again.headers.get("content-encoding") == "gzip":
            break
        await asyncio.sleep(0.05)
    assert again.headers.get("content-encoding") == "gzip"
    assert int(again.headers["content-length"]) < len(first.content) / 4
    assert again.json() == plain  # httpx decodes it, as a browser does

    raw = await gql.http.post("/graphql", json=MAP, headers=CSRF_HEADERS | {"Accept-Encoding": "gzip"})
    async with gql.http.stream("POST", "/graphql", json=MAP, headers=CSRF_HEADERS | {"Accept-Encoding": "gzip"}) as s:
        wire = b"".join([chunk async for chunk in s.aiter_raw()])
    assert gzip.decompress(wire) == raw.content


async def test_no_gzip_for_a_client_that_does_not_accept_it_nor_for_a_small_answer(gql):
    for encoding in ("identity", "gzip;q=0", "*, gzip;q=0", "br", ""):
        for _ in range(3):
            response = await _post(gql, MAP, encoding)
            assert "content-encoding" not in response.headers, encoding
            assert response.json()["data"]["mapLayer"]["type"] == "FeatureCollection"
    for _ in range(3):
        small = await _post(gql, SMALL, "gzip")
        assert "content-encoding" not in small.headers
        assert "Accept-Encoding" not in small.headers.get("vary", "")
