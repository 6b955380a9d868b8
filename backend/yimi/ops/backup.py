"""Backups of a SQLite database, and restoring one, with SQLite's online backup API.

Copying the live file (``cp``) is not a backup: what the last transactions wrote may still be in
the write-ahead log next to it (``-wal``), and the copy loses it while ``integrity_check`` still
says ok (measured: 175 of 200 acknowledged writes kept). The backup API reads through SQLite,
WAL included, as one consistent snapshot, while the server goes on writing.

PostgreSQL has its own tools (``pg_dump -Fc`` / ``pg_restore``): see ``POSTGRES_HINT``.
Expected failures raise BackupError with a one-line message.
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

POSTGRES_HINT = (
    'this database is PostgreSQL: back it up with pg_dump -Fc -f yimi.dump "$YIMI_DATABASE_URL" and restore '
    'with pg_restore --clean --if-exists --no-owner -d "$YIMI_DATABASE_URL" yimi.dump (README: Backups)'
)
# The table Tortoise records applied migrations in: a Yimi database has it, with rows for our app.
MIGRATIONS_TABLE = "tortoise_migrations"
# How long to wait for a writer's lock before giving up (the server's transactions are short).
BUSY_TIMEOUT = 30.0


class BackupError(Exception):
    """An expected failure, with a one-line message for the operator."""


@dataclass(frozen=True)
class Copied:
    path: Path
    bytes: int
    seconds: float
    migration: str  # the last migration applied in the copy


def sqlite_path(database_url: str) -> Path:
    """The file behind a Tortoise SQLite URL; PostgreSQL and in-memory databases are refused."""
    scheme = urlsplit(database_url).scheme
    if scheme in ("postgres", "postgresql", "asyncpg", "psycopg"):
        raise BackupError(POSTGRES_HINT)
    if scheme != "sqlite":
        raise BackupError(f"cannot back up a {scheme or 'database'} URL: only SQLite files and PostgreSQL")
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if path in ("", ":memory:"):
        raise BackupError("an in-memory database has nothing to back up")
    return Path(path)


def _open_existing(path: Path, what: str) -> sqlite3.Connection:
    """A connection to an existing SQLite file, after checking that it is one."""
    if not path.exists():
        raise BackupError(f"no {what} at {path}")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database ({error})") from None
    return conn


def _applied_migrations(conn: sqlite3.Connection, path: Path) -> list[str]:
    """The Yimi migrations applied in ``conn``'s database, in order; refuses a database that is not Yimi's."""
    try:
        rows = conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE app = 'yimi' ORDER BY name").fetchall()
    except sqlite3.OperationalError:
        rows = []
    if not rows:
        raise BackupError(f"{path} is a SQLite database, but not a migrated Yimi one (no Yimi migrations in it)")
    return [str(name) for (name,) in rows]


def _last_migration(conn: sqlite3.Connection, path: Path) -> str:
    """The last Yimi migration applied in ``conn``'s database; refuses a database that is not Yimi's."""
    return _applied_migrations(conn, path)[-1]


def _write_error(path: Path, error: Exception) -> BackupError:
    text = str(error)
    if (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)) or "full" in text:
        reason = "the disk is full"
    elif "disk I/O error" in text:
        reason = f"the disk is full or failing ({text})"
    elif "unable to open database file" in text:
        reason = _why_unwritable(path.parent) or text
    elif isinstance(error, OSError) and error.strerror:
        reason = error.strerror.lower()
    else:
        reason = text
    return BackupError(f"cannot write {path}: {reason}")


def _why_unwritable(directory: Path) -> str | None:
    """Why no file can be created in ``directory`` (read-only file system, permission denied), if so."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            return None
    except OSError as error:
        return (error.strerror or str(error)).lower()


def _remove(database: Path) -> None:
    """Deletes a database file and the journals SQLite may have left next to it, as far as it can
    (on a read-only file system even a file that is not there cannot be unlinked)."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        with suppress(OSError):
            Path(f"{database}{suffix}").unlink(missing_ok=True)


def backup(source: Path, target: Path, on_start: Callable[[int], None] | None = None) -> Copied:
    """Copies the database at ``source`` to the new file ``target``, consistently, while others write.

    One backup step copies every page inside one read transaction: writers go on (WAL), and the
    copy holds exactly what was committed when it started. (Smaller steps would let a busy
    server's writes restart the copy again and again.) The copy is written next to ``target``
    and renamed into place once complete, so a full disk never leaves a truncated backup behind;
    it is a single file (rollback journal mode), ready to be copied anywhere.
    ``on_start`` is told the size of the source in bytes before the copy starts.
    """
    target = target.resolve()
    if target.exists() and target.samefile(source):
        raise BackupError(f"{target} is the database itself: choose another file")
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give a file name")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: no directory {target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    started = time.monotonic()
    with closing(_open_existing(source, "database")) as src:
        migration = _last_migration(src, source)
        page_size, pages = (src.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count"))
        if on_start is not None:
            on_start(page_size * pages)
        try:
            _remove(partial)
            # Created here first, so that an unwritable target says why (SQLite would only say
            # "unable to open database file").
            partial.open("wb").close()
            with closing(sqlite3.connect(partial)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
            os.replace(partial, target)
        except (sqlite3.Error, OSError) as error:
            _remove(partial)
            raise _write_error(target, error) from None
    return Copied(target, target.stat().st_size, time.monotonic() - started, migration)


def missing_migrations(migration: str) -> list[str]:
    """The migrations this version of Yimi has after ``migration`` (a restored old backup needs them)."""
    from yimi.db import known_migrations

    return [name for name in known_migrations() if name > migration]


def check_backup(path: Path) -> str:
    """Checks that ``path`` is an intact Yimi database this version of Yimi can run on (none of its
    migrations unknown here: a newer Yimi's data); returns its last migration."""
    from yimi.db import newer_data_message, unknown_migrations

    with closing(_open_existing(path, "backup")) as conn:
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)").fetchall()]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        if problems != ["ok"]:
            raise BackupError(f"{path} is damaged (integrity_check: {'; '.join(problems)})")
        applied = _applied_migrations(conn, path)
        if unknown := unknown_migrations(applied):
            raise BackupError(newer_data_message(str(path), unknown))
        return applied[-1]


def in_use(path: Path) -> bool:
    """Whether another connection (a running server) has the database at ``path`` open.

    The server keeps its databases in WAL mode, and SQLite lets a connection leave WAL mode only
    when it is the only one open: trying tells, even of an idle server. A lock held right now
    (a transaction in any mode) tells too. Leaves the database in rollback journal mode if free.
    """
    if not path.exists():
        return False
    with closing(sqlite3.connect(path, timeout=0.1, isolation_level=None)) as conn:
        try:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return True
            raise BackupError(f"cannot open {path}: {error}") from None
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not a SQLite database ({error}): not overwriting it") from None
    return str(mode).lower() == "wal"


def _new_identity(db: sqlite3.Connection) -> None:
    """A restored database is another one for the answers shared through Redis (migration 0016): it can bring
    data version numbers back that answers were kept under."""
    try:
        db.execute("UPDATE deployment_identity SET token = ?", (secrets.token_hex(16),))
    except sqlite3.OperationalError:  # a backup from before migration 0016: `yimi migrate` makes one
        return
    db.commit()


def restore(backup_file: Path, target: Path, force: bool = False) -> Copied:
    """Replaces the database at ``target`` with the checked backup ``backup_file``.

    Refuses while another connection has ``target`` open unless ``force``. The pages go in through
    the backup API too, not as a file copy, so that a ``-wal`` file left next to ``target`` cannot
    be replayed over the restored database.
    """
    migration = check_backup(backup_file)
    target = target.resolve()
    if target.exists() and target.samefile(backup_file):
        raise BackupError(f"{backup_file} is the database itself")
    if not force and in_use(target):
        raise BackupError(
            f"{target} is open in another process (a running server?): stop it first, or pass --force "
            "to overwrite it under the running server"
        )
    started = time.monotonic()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(backup_file)) as src:
            with closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT)) as dst:
                src.backup(dst)
                _new_identity(dst)
    except (sqlite3.Error, OSError) as error:
        raise _write_error(target, error) from None
    return Copied(target, target.stat().st_size, time.monotonic() - started, migration)
