"""A real `yimi serve` in its own process, for attacks measured from outside (time, memory)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class LiveServer:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """The server's resident memory (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def yimi_serve(settings, **env: str) -> Iterator[LiveServer]:
    """``yimi serve`` on the test database (already migrated and loaded by the ``demo`` fixture)."""
    port = _free_port()
    environment = os.environ | {
        "YIMI_DATABASE_URL": settings.database_url,
        "YIMI_FRONTEND_DIST": str(settings.frontend_dist),
        "YIMI_PORT": str(port),
        **env,
    }
    yimi = Path(sys.executable).parent / "yimi"
    process = subprocess.Popen([str(yimi), "serve"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = LiveServer(process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"yimi serve exited: {process.stderr.read().decode() if process.stderr else ''}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("yimi serve did not start within 60 s")
            time.sleep(0.1)
        yield server
    finally:
        process.kill()  # a server an attack left stuck must not outlive the test
        process.wait(10)
