"""The `yimi` command line."""

from __future__ import annotations

import asyncio
import sys
from enum import Enum
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from yimi.common.errors import ServiceError
from yimi.settings import Settings
from yimi.settings import get_settings as read_settings

app = typer.Typer(help="Yimi (一米): enterprise-service issues, teams and maps.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts: create, list, disable, set-password.", no_args_is_help=True)
app.add_typer(user_app, name="user")
token_app = typer.Typer(help="Partner API tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")
stats_app = typer.Typer(help="Public statistics: releases.", no_args_is_help=True)
app.add_typer(stats_app, name="stats")
console = Console()
# Output width when not on a terminal: wide enough for any table row, so that nothing is cut.
WIDE = 10_000
STAFF_COLUMNS = ("username", "name", "department", "roles", "townships", "active", "password")


def get_settings() -> Settings:
    """The settings, or one line saying what is wrong with them and exit 1 (not pydantic's traceback).

    Every command reads its settings through here, so each refuses alike.
    """
    try:
        return read_settings()
    except ValidationError as error:
        problems = [
            f"YIMI_{str(e['loc'][0]).upper()}: {e['msg'].removeprefix('Value error, ')}"
            if e["loc"]
            else e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        ]
        typer.echo(f"yimi: {'; '.join(problems)}", err=True)
        raise typer.Exit(1) from None


def _refuse(message: object) -> NoReturn:
    """One line on standard error, exit status 1: the way every command refuses to start."""
    typer.echo(f"yimi: {message}", err=True)
    raise typer.Exit(1)


def _with_db(coro_fn, settings: Settings | None = None):
    """Runs ``coro_fn()`` with the ORM initialised on a ready database (as `yimi serve` checks it:
    there, reachable, migrated, never created here); a database that is not ready, or a
    ServiceError, becomes one clear line and exit 1."""
    from yimi import db

    settings = settings or get_settings()

    async def run():
        await db.init_ready_db(settings)
        try:
            return await coro_fn()
        finally:
            await db.close_db()

    try:
        return asyncio.run(run())
    except db.DatabaseNotReady as error:
        _refuse(error)
    except ServiceError as error:
        console.print(f"[red]error:[/red] {error.field}: {error.message}")
        raise typer.Exit(1) from None


def _cell_list(values: list[str], empty: str = "-") -> str:
    """Several values in one cell: one per line on a terminal (a narrow column then breaks between
    them, not inside a word), comma-separated on one line into a pipe or a file."""
    if not values:
        return empty
    return ("\n" if console.is_terminal else ", ").join(values)


def print_table(table) -> None:
    """Prints ``table`` whole: on a terminal a long cell folds onto more lines; into a pipe or a file
    (where rich would assume 80 columns) the lines are as long as the table needs."""
    if console.is_terminal:
        console.print(table)
    else:
        Console(width=WIDE, soft_wrap=False).print(table)


def _ask_password(password: str | None) -> str:
    return password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command()
def migrate() -> None:
    """Apply the database migrations (creates the SQLite file if needed)."""
    from yimi import db

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            console.print(f"applied {app_label}.{name}")

    asyncio.run(db.migrate(get_settings(), progress=progress))
    console.print("[green]database is up to date[/green]")


class DemoScale(str, Enum):
    county = "county"
    province = "province"


@app.command()
def demo(
    scale: DemoScale = typer.Option(
        DemoScale.county,
        "--scale",
        help="county: the Weishi county demo (15 townships, 600 enterprises, 3,000+ issues). province: every "
        "township of Henan (2,586), 100,000 enterprises, 1,000,000 issues with their orders and events, 300 teams "
        "(minutes of CPU; 2–3 GB on disk), into an empty database.",
    ),
    enterprises: int = typer.Option(None, "--enterprises", min=1, help="--scale province: how many enterprises."),
    issues: int = typer.Option(None, "--issues", min=1, help="--scale province: how many issues."),
    teams: int = typer.Option(
        None, "--teams", min=1, help="--scale province: how many teams (at least one per county: 181)."
    ),
    seed: int = typer.Option(None, "--seed", help="--scale province: the random seed (same seed, same data)."),
    workers: int = typer.Option(
        None, "--workers", min=0, help="--scale province: processes generating issues (default: one per CPU)."
    ),
    reset: bool = typer.Option(
        False,
        "--reset",
        help="DELETE EVERY ROW of the database (staff, tokens, issues: everything), then load the demo again. "
        "Asks first; without a terminal it needs --yes.",
    ),
    yes: bool = typer.Option(False, "--yes", help="With --reset: delete without asking (for scripts)."),
    quiet: bool = typer.Option(False, "--quiet", "--no-progress", help="No progress bars."),
    login: str = typer.Option(
        None, "--login", help="Give this demo member of staff a fresh random password and print it (development only)."
    ),
) -> None:
    """Load a fictional demo into a migrated database: the Weishi county (尉氏县: townships, teams, 600
    enterprises, 3,000+ issues), or with --scale province all of Henan (河南省) for benchmarks.
    Development only: refused with YIMI_ENV=production."""
    from yimi import db

    settings = get_settings()
    if settings.env == "production":
        _refuse("`yimi demo` loads a fictional county (and --reset deletes every row): not in production")
    sizes = {"n_enterprises": enterprises, "n_issues": issues, "n_teams": teams, "seed": seed}
    sizes = {k: v for k, v in sizes.items() if v is not None}
    if scale == DemoScale.county and (sizes or workers is not None):
        _refuse("--enterprises, --issues, --teams, --seed and --workers go with --scale province")
    if reset and not yes:
        where = db.describe(settings.database_url)
        if not sys.stdin.isatty():
            _refuse(f"--reset deletes every row in {where}: add --yes to confirm (no terminal to ask on)")
        if not typer.confirm(f"Delete every row in {where}?", default=False):
            _refuse("nothing deleted")

    async def run():
        if scale == DemoScale.province:
            from yimi.demo.province_loader import load_province, province_config

            config = province_config(settings, **sizes)
            summary = await load_province(settings, config, reset=reset, progress=not quiet, workers=workers)
        else:
            from yimi.demo.loader import load_demo

            summary = await load_demo(settings, reset=reset, progress=not quiet)
        return summary, (await _demo_login(login) if login else None)

    try:
        summary, password = _with_db(run, settings)
    except ValueError as error:  # sizes the generator cannot honour (too few teams, say)
        _refuse(f"--scale {scale.value}: {error}")
    console.print(str(summary), highlight=False, soft_wrap=True)
    if password:
        console.print(f"Sign in to the web app as [bold]{login}[/bold] with the password [bold]{password}[/bold]")


async def _demo_login(username: str) -> str:
    import secrets

    from yimi.accounts.models import Staff
    from yimi.accounts.service import set_password

    staff = await Staff.get_or_none(username=username, is_active=True)
    if staff is None:
        raise ServiceError("--login", "NOT_FOUND", f"no active member of staff '{username}'")
    # A new one each time, never stored in the repo: `make run` prints it just before serving.
    password = "-".join(secrets.token_hex(3) for _ in range(3))
    await set_password(staff, password)
    return password


@user_app.command("create")
def user_create(
    username: str = typer.Argument(..., help="Login name."),
    name: str = typer.Option(..., "--name", help="Full name, e.g. 张伟."),
    department: str = typer.Option(..., "--department", help="Department name (created if new)."),
    role: list[str] = typer.Option(
        ..., "--role", help="admin, dispatcher, team_member, commissioner or viewer; repeatable."
    ),
    township: list[str] = typer.Option([], "--township", help="Limit to this township code; repeatable."),
    password: str = typer.Option(None, "--password", help="Prompted for when omitted (safer than the command line)."),
) -> None:
    """Create a staff login."""
    from yimi.accounts.models import Role
    from yimi.accounts.service import create_user

    try:
        roles = [Role(r) for r in role]
    except ValueError:
        console.print(f"[red]error:[/red] --role must be one of {', '.join(r.value for r in Role)}")
        raise typer.Exit(2) from None
    secret = _ask_password(password)
    staff = _with_db(lambda: create_user(username, name, department, roles, secret, township))
    console.print(f"created {staff.username} ({', '.join(staff.roles)})")


@user_app.command("list")
def user_list() -> None:
    """List staff logins."""
    from rich.table import Column, Table

    from yimi.accounts.models import Staff

    async def fetch():
        return await Staff.all().order_by("username").prefetch_related("department")

    # A narrow terminal squeezes the free-text columns first: a role is never split mid-word.
    whole = {"roles", "townships", "active", "password"}
    table = Table(*(Column(name, overflow="fold", no_wrap=name in whole) for name in STAFF_COLUMNS))
    for s in _with_db(fetch):
        table.add_row(
            s.username,
            s.name,
            s.department.name,
            _cell_list(s.roles),
            _cell_list(s.township_scope, "all"),
            "yes" if s.is_active else "no",
            "set" if s.password_hash else "-",
        )
    print_table(table)


@user_app.command("disable")
def user_disable(username: str = typer.Argument(..., help="Login name.")) -> None:
    """Disable a login: it can no longer sign in, and its sessions stop working."""
    from yimi.accounts.service import set_active

    _with_db(lambda: set_active(username, False))
    console.print(f"disabled {username}")


@user_app.command("set-password")
def user_set_password(
    username: str = typer.Argument(..., help="Login name."),
    password: str = typer.Option(None, "--password", help="Prompted for when omitted."),
) -> None:
    """Set (or reset) a login's password; every session of that login ends, on every device."""
    from yimi.accounts.models import Staff
    from yimi.accounts.service import set_password

    secret = _ask_password(password)

    async def run():
        staff = await Staff.get_or_none(username=username)
        if staff is None:
            raise ServiceError("username", "NOT_FOUND", f"no user '{username}'")
        await set_password(staff, secret)

    _with_db(run)
    console.print(f"password set for {username}")


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@token_app.command("create")
def token_create(
    name: str = typer.Option(..., "--name", help="Who the token is for, e.g. 'ICBC Kaifeng SME desk'."),
    scopes: list[str] = typer.Option(..., "--scopes", help="Comma-separated, e.g. issues:read,enterprises:read."),
    townships: list[str] = typer.Option([], "--townships", help="Only these township codes (comma-separated)."),
    categories: list[str] = typer.Option([], "--categories", help="Only issues of these categories."),
    expires: str = typer.Option(None, "--expires", help="90d, or a date such as 2027-06-30; default never."),
) -> None:
    """Create a partner token and print it once: only its hash is stored."""
    from yimi.accounts.tokens import create_token

    token, secret = _with_db(lambda: create_token(name, _split(scopes), _split(townships), _split(categories), expires))
    console.print(f"created token '{token.name}' ({', '.join(token.scopes)})")
    if token.expires_at:
        console.print(f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC")
    console.print("Copy it now, it will not be shown again:")
    print(secret)


@token_app.command("list")
def token_list() -> None:
    """List partner tokens (never their secrets)."""
    from rich.table import Column, Table

    from yimi.accounts.models import PartnerToken

    async def fetch():
        return await PartnerToken.all().order_by("name")

    columns = ("name", "prefix", "scopes", "townships", "categories", "expires", "revoked", "last used")
    # Never cut: the name is what `yimi token revoke NAME` takes.
    table = Table(*(Column(name, overflow="fold") for name in columns))
    fmt = lambda d: f"{d:%Y-%m-%d %H:%M}" if d else "-"  # noqa: E731
    for t in _with_db(fetch):
        table.add_row(
            t.name,
            t.prefix + "…",
            _cell_list(t.scopes),
            _cell_list(t.township_codes, "all"),
            _cell_list(t.categories, "all"),
            fmt(t.expires_at),
            fmt(t.revoked_at),
            fmt(t.last_used_at),
        )
    print_table(table)


@token_app.command("revoke")
def token_revoke(name: str = typer.Argument(..., help="The token's name.")) -> None:
    """Revoke a partner token at once."""
    from yimi.accounts.tokens import revoke_token

    _with_db(lambda: revoke_token(name))
    console.print(f"revoked {name}")


@stats_app.command("publish")
def stats_publish() -> None:
    """Release the public figures now (they are otherwise released monthly, on YIMI_STATS_RELEASE_DAY)."""
    from datetime import UTC, datetime

    from yimi.stats.releases import publish

    settings = get_settings()
    years = _with_db(lambda: publish(datetime.now(UTC), settings), settings)
    if years:
        console.print(f"released the figures of {', '.join(map(str, years))}")
    else:
        console.print("nothing to release: every year is final, has no new figures, or too few issues")


@app.command("recompute-warnings")
def recompute_warnings() -> None:
    """Re-derive every issue's warning thresholds after YIMI_WARN_YELLOW_AT / YIMI_WARN_ORANGE_AT change."""
    from yimi.issues.warning import recompute_thresholds

    settings = get_settings()
    changed = _with_db(lambda: recompute_thresholds(settings.warn_yellow_at, settings.warn_orange_at))
    console.print(
        f"{changed:,} issues now use yellow at {settings.warn_yellow_at:.0%}, orange at {settings.warn_orange_at:.0%}"
    )


def _fail(error: Exception | str) -> NoReturn:
    console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(1) from None


def _sqlite_file() -> Path:
    from yimi.ops.backup import BackupError, sqlite_path

    try:
        return sqlite_path(get_settings().database_url)
    except BackupError as error:
        _fail(error)


@app.command()
def backup(
    file: Path = typer.Argument(..., help="The backup to write (a new SQLite file; replaced if it exists)."),
) -> None:
    """Back up the SQLite database, safely while the server is writing (SQLite's online backup API).

    Never copy the live file with cp: what is still in its write-ahead log would be lost.
    For PostgreSQL, use pg_dump -Fc (see the README).
    """
    from yimi.ops.backup import BackupError
    from yimi.ops.backup import backup as run_backup

    database = _sqlite_file()
    with console.status(f"backing up {database}…") as status:

        def started(size: int) -> None:
            status.update(f"backing up {database} ({size / 1e6:,.1f} MB)…")

        try:
            copied = run_backup(database, file, on_start=started)
        except BackupError as error:
            status.stop()
            _fail(error)
        except OSError as error:  # whatever the checks did not foresee: still one line
            status.stop()
            _fail(f"cannot write {file}: {(error.strerror or str(error)).lower()}")
    console.print(
        f"backed up {database} to {copied.path} ({copied.bytes / 1e6:,.1f} MB in {copied.seconds:.2f} s, "
        f"last migration {copied.migration})",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def restore(
    file: Path = typer.Argument(..., help="A backup written by `yimi backup`."),
    force: bool = typer.Option(
        False, "--force", help="Overwrite the database even while another process (a server) has it open."
    ),
) -> None:
    """Replace the SQLite database with a backup, after checking the backup (integrity, Yimi migrations).

    Stop the server first: the database is not overwritten while a process has it open, unless --force.
    """
    from yimi.ops.backup import BackupError, in_use, missing_migrations
    from yimi.ops.backup import restore as run_restore

    database = _sqlite_file()
    try:
        if force and in_use(database):
            console.print(
                f"[yellow]warning:[/yellow] {database} is open in another process: overwriting it under it "
                "(--force); restart the server afterwards",
                highlight=False,
                soft_wrap=True,
            )
        with console.status(f"checking {file} and restoring it…"):
            copied = run_restore(file, database, force=force)
    except BackupError as error:
        _fail(error)
    except OSError as error:
        _fail(f"cannot restore {file} into {database}: {(error.strerror or str(error)).lower()}")
    console.print(
        f"restored {file} into {database} ({copied.bytes / 1e6:,.1f} MB in {copied.seconds:.2f} s, "
        f"last migration {copied.migration})",
        highlight=False,
        soft_wrap=True,
    )
    if missing := missing_migrations(copied.migration):
        console.print(f"the backup predates {', '.join(missing)}: run `yimi migrate` before serving", soft_wrap=True)


@app.command()
def serve(
    host: str = typer.Option(None, help="Overrides YIMI_HOST."),
    port: int = typer.Option(None, help="Overrides YIMI_PORT."),
    workers: int = typer.Option(
        None, min=1, max=64, help="Server processes; overrides YIMI_WORKERS (1). Above 1 needs YIMI_REDIS_URL."
    ),
) -> None:
    """Serve the API and the web app with uvicorn (once the database answers and is migrated)."""
    import uvicorn

    from yimi import db
    from yimi.ops import processes
    from yimi.ops.logs import logging_config

    settings = get_settings()
    workers = workers or settings.workers
    if refusal := processes.refusal(settings, workers):
        _refuse(refusal)

    async def check() -> None:
        await db.init_ready_db(settings)
        await db.close_db()

    try:
        asyncio.run(check())
    except db.DatabaseNotReady as error:  # whatever is wrong with the database, in one line
        _refuse(error)
    if settings.redis_url and (problem := processes.redis_problem(settings.redis_url)):
        # Not a refusal: the app serves through a Redis outage (yimi.common.counters, yimi.live.broker).
        meanwhile = "each worker counts limits alone and live updates are off"
        typer.echo(f"yimi: warning: {problem}; serving anyway: until it answers, {meanwhile}", err=True)
    with processes.pooled_metrics(workers):
        uvicorn.run(
            "yimi.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            # The client address (budgets, throttling, /metrics) and https (the session cookie)
            # come from X-Forwarded-* only when the peer is one of these proxies.
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            # A larger WebSocket message is refused while it arrives, before it is held in memory.
            ws_max_size=settings.max_request_bytes,
            log_config=logging_config(settings.log_format),
            access_log=False,  # yimi.requests writes one richer line per GraphQL request
        )


@app.command()
def schema(output: Path = typer.Option(Path("schema.graphql"), help="Where to write the SDL.")) -> None:
    """Export the GraphQL schema (the published contract) as SDL."""
    from yimi.graphql.schema import schema as gql_schema

    output.write_text(gql_schema.as_str() + "\n", encoding="utf-8")
    console.print(f"wrote {output}")


def _register_import_export() -> None:
    from yimi.imports.cli import export_command, import_app

    app.add_typer(import_app, name="import")
    app.command("export")(export_command)


_register_import_export()


if __name__ == "__main__":
    app()
