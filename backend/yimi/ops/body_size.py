"""Refuses request bodies and WebSocket messages over ``YIMI_MAX_REQUEST_BYTES``, before they grow.

A pure ASGI middleware, outermost, so that nothing reads a body first: Starlette reads a whole
body into memory before anything can look at it (an anonymous 300 MB POST added 813 MB to the
server). An HTTP request whose ``Content-Length`` is over the limit gets 413 without a byte of
its body read; otherwise the body is read here, counted chunk by chunk as it arrives, and refused
with 413 as soon as the count passes the limit (a chunked upload declares no length) — else
handed on to the app whole, as the app would have read it anyway. Either way the connection is
closed, so the server reads no more of it.

A WebSocket message over the limit closes the socket with code 1009 (message too big). Under
``yimi serve`` uvicorn refuses such a message itself while receiving it (``ws_max_size``, set from
the same setting); this check holds when the app runs under another server or other options.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
MESSAGE_TOO_BIG = 1009  # RFC 6455


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.app(scope, self._websocket_receive(receive, send), send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the app see it
                await self.app(scope, _replay(message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(whole, receive), send)

    def refusal(self) -> dict:
        """The JSON body of the 413 (a subclass with another limit words its own)."""
        return {
            "data": None,
            "errors": [
                {
                    "message": f"The request is larger than {self.max_bytes} bytes, the most this server "
                    "accepts (YIMI_MAX_REQUEST_BYTES).",
                    "extensions": {"code": REQUEST_TOO_LARGE, "maximum": self.max_bytes},
                }
            ],
        }

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(self.refusal()).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _websocket_receive(self, receive: Receive, send: Send) -> Receive:
        async def checked() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and _message_size(message) > self.max_bytes:
                await send({"type": "websocket.close", "code": MESSAGE_TOO_BIG, "reason": "message too big"})
                # The app sees a client that left, and ends the connection's work.
                return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        return checked


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server's HTTP parser refuses it
    return None


def _message_size(message: Message) -> int:
    text = message.get("text")
    if text is not None:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(message.get("bytes") or b"")


def _replay(message: Message, receive: Receive) -> Receive:
    """``receive`` that first answers ``message``."""
    pending = [message]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
