"""`yimi backup` / `yimi restore`: a backup taken while another process writes holds every write
acknowledged before it started, where a copy of the live file does not; failures are one line."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.sqlite_only("yimi backup and restore copy a SQLite file; on PostgreSQL they point to pg_dump"),
]

# Writes as the server does (BEGIN IMMEDIATE … COMMIT, WAL) and prints each write's number once
# it is committed: its acknowledgement. No automatic checkpoint, so that the writes stay in the
# write-ahead log, where a copy of the main file cannot see them.
WRITER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA wal_autocheckpoint=0")
for i in range(1_000_000):
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO department (name) VALUES (?)", (f"ack-{i:06d}",))
    conn.execute("COMMIT")
    print(i, flush=True)
"""


def yimi(*args: str, database: Path | str, **kwargs) -> subprocess.CompletedProcess:
    url = database if isinstance(database, str) else f"sqlite://{database}"
    env = {**os.environ, "YIMI_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "yimi.cli", *args], capture_output=True, text=True, env=env, timeout=120, **kwargs
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """A migrated database with the demo county (8–9 MB)."""
    path = tmp_path_factory.mktemp("backup") / "live.sqlite3"
    for args in (["migrate"], ["demo", "--quiet"]):
        done = yimi(*args, database=path)
        assert done.returncode == 0, done.stdout + done.stderr
    return path


def acknowledged(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM department WHERE name LIKE 'ack-%'")}


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_a_backup_during_writes_restores_every_write_acknowledged_before_it(demo_db, tmp_path):
    live = tmp_path / "live.sqlite3"
    shutil.copyfile(demo_db, live)  # the module's demo database stays as it is
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live)], stdout=subprocess.PIPE, text=True)
    acks: list[str] = []
    reader = threading.Thread(target=lambda: acks.extend(f"ack-{int(line):06d}" for line in writer.stdout))
    reader.start()
    try:
        while len(acks) < 300:
            assert writer.poll() is None, "the writer stopped"
            time.sleep(0.01)
        before = set(acks)
        copied = tmp_path / "copied.sqlite3"
        shutil.copyfile(live, copied)  # what `cp` would do
        backup = yimi("backup", str(tmp_path / "backup.sqlite3"), database=live)
        during = len(acks) - len(before)
        time.sleep(0.2)  # the writer goes on after the backup
    finally:
        writer.terminate()
        writer.wait(10)
        reader.join(10)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert backup.stdout.startswith("backed up") and "last migration" in backup.stdout
    assert during > 0, "no write happened while the backup ran"

    fresh = tmp_path / "restored" / "yimi.sqlite3"
    restored = yimi("restore", str(tmp_path / "backup.sqlite3"), database=fresh)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert integrity(fresh) == "ok"
    assert before <= acknowledged(fresh), f"lost {len(before - acknowledged(fresh))} of {len(before)} writes"
    with sqlite3.connect(fresh) as conn, sqlite3.connect(demo_db) as original:
        count = "SELECT (SELECT count(*) FROM issue), (SELECT count(*) FROM issue_event)"
        assert conn.execute(count).fetchone() == original.execute(count).fetchone()
        # Another database for the answers shared through Redis: it may bring old data versions back.
        identity = "SELECT token FROM deployment_identity"
        assert conn.execute(identity).fetchone() != original.execute(identity).fetchone()
    # The README's warning: the copy looks fine, and lacks what was still in the write-ahead log.
    assert integrity(copied) == "ok"
    assert len(acknowledged(copied) & before) < len(before)


def test_restore_refuses_a_database_a_server_holds_open_unless_forced(demo_db, tmp_path):
    backup = tmp_path / "backup.sqlite3"
    assert yimi("backup", str(backup), database=demo_db).returncode == 0
    live = tmp_path / "live.sqlite3"
    shutil.copyfile(demo_db, live)
    with sqlite3.connect(live) as conn:
        conn.execute("INSERT INTO department (name) VALUES ('made after the backup')")
    # An idle connection in WAL mode, as a server's between requests.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
         "c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT 1 FROM issue').fetchall();"
         "print('open', flush=True); sys.stdin.read()", str(live)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "open\n"
        refused = yimi("restore", str(backup), database=live)
        assert refused.returncode == 1
        assert refused.stdout.count("\n") == 1 and "open in another process" in refused.stdout
        assert "--force" in refused.stdout
        assert "made after the backup" in {n for (n,) in sqlite3.connect(live).execute("SELECT name FROM department")}
        forced = yimi("restore", str(backup), "--force", database=live)
        assert forced.returncode == 0, forced.stdout + forced.stderr
        assert "warning" in forced.stdout
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert "made after the backup" not in {n for (n,) in sqlite3.connect(live).execute("SELECT name FROM department")}
    assert integrity(live) == "ok"


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith("error: ") and result.stdout.count("\n") == 1, result.stdout
    for word in words:
        assert word in result.stdout, result.stdout


def test_failures_are_one_clear_line(demo_db, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database\n" * 100)
    stranger = tmp_path / "other.sqlite3"
    with sqlite3.connect(stranger) as conn:
        conn.execute("CREATE TABLE t (x)")

    one_line_error(yimi("backup", str(tmp_path / "b.sqlite3"), database=tmp_path / "missing.sqlite3"), "no database")
    one_line_error(yimi("backup", str(tmp_path / "b.sqlite3"), database=junk), "not a SQLite database")
    one_line_error(yimi("backup", str(junk / "b.sqlite3"), database=demo_db), "cannot write")
    one_line_error(yimi("backup", str(demo_db), database=demo_db), "the database itself")
    one_line_error(yimi("restore", str(tmp_path / "nothing"), database=tmp_path / "new.sqlite3"), "no backup")
    one_line_error(yimi("restore", str(junk), database=tmp_path / "new.sqlite3"), "not a SQLite database")
    one_line_error(yimi("restore", str(stranger), database=tmp_path / "new.sqlite3"), "not a migrated Yimi")
    assert not (tmp_path / "new.sqlite3").exists()
    for url in ("postgres://postgres@127.0.0.1:5432/yimi", "postgresql://yimi@db/yimi"):
        for command in ("backup", "restore"):
            one_line_error(yimi(command, str(tmp_path / "b.sqlite3"), database=url), "pg_dump -Fc", "pg_restore")


def test_a_damaged_backup_is_not_restored(demo_db, tmp_path):
    backup = tmp_path / "backup.sqlite3"
    assert yimi("backup", str(backup), database=demo_db).returncode == 0
    with backup.open("r+b") as f:  # scribble over a page in the middle of the file
        f.seek(backup.stat().st_size // 2 // 4096 * 4096)
        f.write(b"\xff" * 4096)
    target = tmp_path / "target.sqlite3"
    one_line_error(yimi("restore", str(backup), database=target), "damaged", "integrity_check")
    assert not target.exists()


def test_a_full_disk_leaves_no_partial_backup(demo_db, tmp_path):
    def small_files() -> None:  # as a nearly full disk: writes past 1 MB fail
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    target = tmp_path / "out" / "backup.sqlite3"
    target.parent.mkdir()
    one_line_error(yimi("backup", str(target), database=demo_db, preexec_fn=small_files), "cannot write", "full")
    assert list(target.parent.iterdir()) == []


@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only file system (tmpfs mounted ro; the tests run as root)."""
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_read_only_target_is_one_line(demo_db, read_only_dir):
    one_line_error(
        yimi("backup", str(read_only_dir / "x.sqlite3"), database=demo_db), "cannot write", "read-only file system"
    )
    one_line_error(
        yimi("restore", str(demo_db), database=read_only_dir / "y.sqlite3"), "cannot write", "read-only file system"
    )


def test_any_os_error_on_the_target_is_a_backup_error(demo_db, tmp_path, monkeypatch):
    import errno as errno_codes

    from yimi.ops import backup as ops_backup

    real_open = Path.open

    def refusing_open(self, *args, **kwargs):
        if self.name.endswith(".partial"):
            raise OSError(errno_codes.EROFS, "Read-only file system", str(self))
        return real_open(self, *args, **kwargs)

    def refusing_unlink(self, missing_ok=False):
        raise OSError(errno_codes.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "open", refusing_open)
    monkeypatch.setattr(Path, "unlink", refusing_unlink)  # even cleaning up fails there
    with pytest.raises(ops_backup.BackupError, match=r"cannot write .*: read-only file system"):
        ops_backup.backup(demo_db, tmp_path / "x.sqlite3")


def test_a_backup_of_a_newer_yimi_is_not_restored(demo_db, tmp_path):
    backup = tmp_path / "newer.sqlite3"
    assert yimi("backup", str(backup), database=demo_db).returncode == 0
    with sqlite3.connect(backup) as conn:  # as a later version's migration would leave it
        conn.execute(
            "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('yimi', '0099_future', '2030-01-01')"
        )
    target = tmp_path / "target.sqlite3"
    one_line_error(yimi("restore", str(backup), database=target), "newer version of Yimi", "0099_future")
    assert not target.exists()
