"""Findings of the outside review of the import (issue 13), each pinned by a test: zip bombs, partial
updates, full-width text, phones in scientific notation, coordinates as the file writes them, problem
codes, exports' filters, dates and deadlines, footer lines, timelines, risk colours, the rejected file,
the upload limit's name and departments leading several teams."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path


def bomb(path: Path, unpacked_mb: int) -> Path:
    """An .xlsx-looking zip whose sheet is ``unpacked_mb`` MB of zeros (about a thousandth of it packed)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"0" * (1 << 20)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return path


def run_measured(db: Path, *args: object) -> tuple[int, str, float, int]:
    """`yimi ARGS` with its exit status, output, seconds and peak RSS in MB (of that process alone)."""
    env = {**os.environ, "YIMI_DATABASE_URL": f"sqlite://{db}", "COLUMNS": "250", "USER": "tester"}
    env.pop("YIMI_ENV", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "yimi.cli", *(str(a) for a in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, output, time.perf_counter() - started, usage.ru_maxrss // 1024


# 1 ------------------------------------------------------------------------------------ zip bombs


def test_a_zip_bomb_is_refused_quickly_in_bounded_memory(db, tmp_path):
    ratio = bomb(tmp_path / "bomb.xlsx", 64)  # 64 MB of zeros: far over the ratio
    assert ratio.stat().st_size < 1 << 20
    code, output, seconds, peak = run_measured(db, "import", "enterprises", ratio, "--dry-run")
    assert code == 1, output
    assert "zip bomb" in output and "bomb.xlsx" in output and "Traceback" not in output
    assert seconds < 20 and peak < 400, (seconds, peak)
    big = bomb(tmp_path / "big.xlsx", 300)  # over the total bound
    code, output, seconds, peak = run_measured(db, "import", "enterprises", big)
    assert code == 1 and "more than the 256 MB" in output, output
    assert peak < 400, peak


async def test_the_web_import_refuses_a_zip_bomb(sign_in, tmp_path):
    from tests.conftest import CSRF_HEADERS

    admin = await sign_in("admin")
    path = bomb(tmp_path / "bomb.xlsx", 64)
    answer = await admin.http.post(
        "/imports/enterprises",
        files={"file": ("bomb.xlsx", path.read_bytes(), "application/zip")},
        headers=CSRF_HEADERS,
    )
    assert answer.status_code == 400
    assert "zip bomb" in answer.json()["error"]["message"]
