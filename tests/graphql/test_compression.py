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


async def test_a_large_answer_is_sent_gzipped_compressed_once_and_reads_the_same(gql, monkeypatch):
    from yimi.graphql import encoding

    made = []
    original = gzip.compress

    def compress(data: bytes, *args, **kwargs) -> bytes:
        made.append(len(data))
        return original(data, *args, **kwargs)

    monkeypatch.setattr(encoding.gzip, "compress", compress)
    plain = (await _post(gql, MAP, "identity")).content
    assert len(plain) >= GZIP_MIN_BYTES
    # Clients asking at once all get it gzipped, and it is compressed once for all of them (and the next).
    answers = await asyncio.gather(*(_post(gql, MAP, "gzip, deflate") for _ in range(5)))
    answers.append(await _post(gql, MAP, "gzip, deflate"))
    for again in answers:
        assert again.status_code == 200
        assert "Accept-Encoding" in again.headers.get("vary", "")
        assert again.headers.get("content-encoding") == "gzip"
        assert int(again.headers["content-length"]) < len(plain) / 4
        assert again.content == plain  # httpx decodes it, as a browser does
    assert made == [len(plain)]

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
