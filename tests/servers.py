"""A real `yimi serve` in its own process, for tests that need a server outside the test's event loop
(browsers, WebSockets across processes, attacks measured from outside: time and memory)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    process: subprocess.Popen
    port: int
    log: Any = None  # the file its output goes to

    def log_text(self) -> str:
        """What it has logged so far (read without moving the offset it writes at)."""
        fd = self.log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """The server's resident memory (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


@contextmanager
def yimi_serve(
    database_url: str, frontend_dist: Path | str, *, args: Sequence[str] = (), **env: str
) -> Iterator[LiveServer]:
    """``yimi serve [args]`` on a migrated database, answering /healthz before the block runs."""
    port = free_port()
    environment = os.environ | {
        "YIMI_DATABASE_URL": database_url,
        "YIMI_FRONTEND_DIST": str(frontend_dist),
        "YIMI_PORT": str(port),
        **env,
    }
    yimi = Path(sys.executable).parent / "yimi"
    # The log goes to a file, not a pipe: a pipe nobody reads stalls a talkative server once it fills.
    with tempfile.TemporaryFile() as log:
        # A session of its own, so that its workers (--workers N) are killed with it.
        process = subprocess.Popen(
            [str(yimi), "serve", *args],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        server = LiveServer(process, port, log)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"yimi serve exited: {log.read().decode(errors='replace')[-2000:]}")
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
            # A server an attack left stuck must not outlive the test, nor must its workers.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
