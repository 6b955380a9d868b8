"""Huge requests, against a real `yimi serve`: an anonymous 300 MB POST added 813 MB to the server
before anything looked at it. Bodies over YIMI_MAX_REQUEST_BYTES (1 MB) are refused with 413 while
they stream in; a WebSocket message over it closes the socket."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
import websockets

from tests.servers import yimi_serve

MB = 1024 * 1024
CHUNK = b"x" * (64 * 1024)


@pytest.fixture(scope="module")
def server(settings, demo):
    with yimi_serve(settings.database_url, settings.frontend_dist) as live:
        yield live


def _stream_post(port: int, total: int, *, chunked: bool) -> tuple[bytes, int]:
    """POSTs ``total`` bytes to /graphql as fast as the server takes them; the raw answer and the
    bytes that got out before the server stopped reading."""
    length = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}".encode()
    head = b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + length + b"\r\n\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        sock.settimeout(5)
        try:
            while sent < total:
                piece = CHUNK if not chunked else b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
                sock.sendall(piece)
                sent += len(CHUNK)
        except OSError:  # the server answered and closed: the rest is not read
            pass
        answer = b""
        sock.settimeout(10)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    return answer, sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_300_mb_body_is_refused_while_it_streams(server, chunked):
    before = server.rss_kib()
    started = time.perf_counter()
    answer, sent = _stream_post(server.port, 300 * MB, chunked=chunked)
    seconds = time.perf_counter() - started
    grown_mib = (server.rss_kib() - before) / 1024
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413"), (answer[:300], sent // MB, seconds)
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert grown_mib < 5, f"the server grew by {grown_mib:.1f} MiB"


def test_a_body_under_the_limit_still_works(server):
    import httpx

    padding = " " * (MB - 100)
    response = httpx.post(f"{server.url}/graphql", json={"query": "{ __typename }" + padding}, timeout=30)
    assert response.json() == {"data": {"__typename": "Query"}}


def test_an_oversized_websocket_message_closes_the_socket(server):
    async def attack() -> int | None:
        uri = f"ws://127.0.0.1:{server.port}/graphql"
        async with websockets.connect(uri, subprotocols=["graphql-transport-ws"], max_size=None) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            query = "{ __typename }" + " " * (2 * MB)
            before = server.rss_kib()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            except websockets.ConnectionClosed as closed:
                assert (server.rss_kib() - before) / 1024 < 5
                return closed.rcvd.code if closed.rcvd else None
            except TimeoutError:
                return None

    assert asyncio.run(attack()) == 1009  # message too big


def test_a_client_going_away_mid_body_is_no_server_error(server):
    """Anyone could fill the log with tracebacks and the metrics with failures by closing the connection
    before the body they announced had arrived."""
    import httpx

    before = server.log_text()
    head = b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head + b'{"query": "{ __typename }"')
    deadline = time.monotonic() + 10
    while "status=499" not in server.log_text()[len(before) :] and time.monotonic() < deadline:
        time.sleep(0.1)
    logged = server.log_text()[len(before) :]
    assert "status=499" in logged, logged[-2000:]
    assert "Traceback" not in logged and "ERROR" not in logged and "status=500" not in logged, logged[-2000:]
    response = httpx.post(f"{server.url}/graphql", json={"query": "{ __typename }"}, timeout=10)
    assert response.json() == {"data": {"__typename": "Query"}}
