"""`yimi import …` and `yimi export …` (registered on the main command line in yimi.cli)."""

# ruff: noqa: B008 (typer declares options as default values)

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from yimi.imports.coords import Crs

import_app = typer.Typer(
    help="Import a county's own files: enterprises, issues, teams, townships (and download templates).",
    no_args_is_help=True,
)
# Problems shown on the terminal; --skip-invalid's rejected file holds every one of its rows.
SHOWN = 50


def _run(kind: str, file: Path, crs: Crs, dry_run: bool, update: bool, skip_invalid: bool, by, rejected, quiet):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from yimi import cli
    from yimi.imports.service import ImportFailed, row_count, run_import

    settings = cli.get_settings()
    if not file.exists():
        cli._refuse(f"no file {file}")
    total = row_count(file)
    bar = Progress(
        TextColumn(f"[progress.description]{'Checking' if dry_run else 'Importing'} {kind}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=cli.console,
        disable=quiet,
        transient=True,
    )

    async def work():
        task = bar.add_task(kind, total=total)
        with bar:
            return await run_import(
                kind,
                file,
                settings,
                crs=crs,
                dry_run=dry_run,
                update=update,
                skip_invalid=skip_invalid,
                importer=by,
                rejected_file=rejected,
                on_rows=lambda n: bar.advance(task, n),
            )

    try:
        result = cli._with_db(work, settings)
    except ImportFailed as error:
        cli._refuse(error)
    _report(result)
    if result.errors and not result.committed:
        raise typer.Exit(1)


def _report(result) -> None:
    from rich.table import Table

    from yimi import cli

    console = cli.console
    for level, problems in (("warning", result.warnings), ("error", result.errors)):
        colour = "yellow" if level == "warning" else "red"
        for p in problems[:SHOWN]:
            console.print(f"[{colour}]{level}:[/{colour}] {p}", highlight=False, soft_wrap=True)
        if len(problems) > SHOWN:
            console.print(f"… and {len(problems) - SHOWN:,} more {level}s", highlight=False)
    for change in result.changes[:SHOWN]:
        verb = "would change" if result.dry_run else "changed"
        console.print(f"[cyan]{verb}:[/cyan] {change}", highlight=False, soft_wrap=True)
    if len(result.changes) > SHOWN:
        console.print(f"… and {len(result.changes) - SHOWN:,} more changes", highlight=False)
    if result.ignored_columns:
        console.print(f"ignored columns: {', '.join(result.ignored_columns)}", highlight=False, soft_wrap=True)
    table = Table(show_header=False, box=None)
    for name, value in (
        ("rows read", result.read),
        ("created", result.created),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("skipped (rejected)", result.rejected),
        ("warnings", len(result.warnings)),
        ("time", f"{result.seconds:.1f} s"),
    ):
        table.add_row(name, f"{value:,}" if isinstance(value, int) else value)
    cli.print_table(table)
    if result.dry_run:
        verdict = "dry run: nothing written"
        if result.errors:
            verdict += f"; {result.rejected:,} rows would be rejected"
    elif result.committed:
        verdict = f"imported {result.file}"
        if result.rejected_file:
            verdict += f"; the {result.rejected:,} rejected rows are in {result.rejected_file}: fix them and import it"
    else:
        verdict = (
            f"nothing imported: {result.rejected:,} rows have errors (the import is all or nothing; "
            "fix them, or import the rest with --skip-invalid)"
        )
    console.print(verdict, highlight=False, soft_wrap=True)


def _kind_command(kind: str, what: str) -> None:
    def command(
        file: Path = typer.Argument(
            ..., help=f"{what}: .xlsx or .csv" + (" or .geojson" if kind == "townships" else "")
        ),
        crs: Crs = typer.Option(
            Crs.WGS84, "--crs", help="Coordinates as copied from: wgs84 (GPS), gcj02 (Amap, Tencent), bd09 (Baidu)."
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and report; write nothing."),
        update: bool = typer.Option(
            False, "--update", help="Overwrite records already in the database (by USCC, ledger number, code or name)."
        ),
        skip_invalid: bool = typer.Option(
            False, "--skip-invalid", help="Import the good rows; write the rejected ones to a file to fix."
        ),
        rejected: Path = typer.Option(
            None, "--rejected", help="Where --skip-invalid writes rejected rows (default: NAME.rejected.csv by FILE)."
        ),
        by: str = typer.Option(None, "--by", help="Who imports, as the imported events record it (default: you)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        _run(kind, file, crs, dry_run, update, skip_invalid, by, rejected, quiet)

    command.__doc__ = (
        f"Import {what} (all rows or none, unless --skip-invalid). Headers in Chinese or English; "
        f"`yimi import template {kind} FILE` writes a template."
    )
    import_app.command(kind)(command)


_kind_command("enterprises", "an enterprise register (企业名录)")
_kind_command("issues", "a problem ledger (问题台账)")
_kind_command("teams", "a list of service teams (服务团)")
_kind_command("townships", "township outlines (GeoJSON) or a table of townships")


@import_app.command("template")
def template(
    kind: str = typer.Argument(..., help="enterprises, issues, teams or townships."),
    file: Path = typer.Argument(..., help="The template to write (.xlsx; .geojson for townships)."),
) -> None:
    """Write a template: the header row the importer reads and an example row."""
    from yimi import cli
    from yimi.imports.service import KINDS
    from yimi.imports.templates import write_template

    if kind not in KINDS:
        cli._refuse(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    write_template(kind, file)
    cli.console.print(f"wrote {file}")


def export_command(
    kind: str = typer.Argument(..., help="enterprises, issues, teams or townships."),
    file: Path = typer.Argument(..., help="The file to write; its suffix gives the format unless --format does."),
    fmt: str = typer.Option(None, "--format", help="xlsx, csv or geojson (enterprises and townships)."),
    township: list[str] = typer.Option([], "--township", help="Only this township (code or name); repeatable."),
    status: list[str] = typer.Option(
        [], "--status", help="Issues in this status (in_progress or 办理中 …); repeatable."
    ),
    category: list[str] = typer.Option([], "--category", help="Issues of this category (e.g. financing); repeatable."),
    reported_from: datetime = typer.Option(None, "--reported-from", help="Issues reported from this date."),
    reported_to: datetime = typer.Option(None, "--reported-to", help="Issues reported before this date."),
    above_scale: bool = typer.Option(None, "--above-scale/--not-above-scale", help="Enterprises above scale or not."),
) -> None:
    """Export enterprises, issues (the ledger layout), teams or townships; times in the county's time."""
    from xlsxwriter.exceptions import FileCreateError

    from yimi import cli
    from yimi.common.time import to_utc
    from yimi.enterprises.service import EnterpriseCriteria
    from yimi.imports import values as v
    from yimi.imports.export import ExportError, export, township_codes
    from yimi.issues.filters import IssueCriteria
    from yimi.issues.models import IssueCategory, IssueStatus

    settings = cli.get_settings()

    def words(option: str, vocabulary, enum, given: list[str]) -> list:
        out = []
        for word in given:
            try:
                out.append(enum(vocabulary(word)))
            except v.BadValue:
                cli._refuse(f"{option} {word!r}: one of {', '.join(m.value for m in enum)} (or {vocabulary.shown})")
        return out

    statuses = words("--status", v.STATUS, IssueStatus, status)
    categories = words("--category", v.CATEGORY, IssueCategory, category)

    async def work():
        codes = await township_codes(township) if township else None
        issue_criteria = IssueCriteria(
            statuses=statuses,
            categories=categories,
            township_codes=codes,
            reported_from=to_utc(reported_from, settings.timezone),
            reported_to=to_utc(reported_to, settings.timezone),
        )
        enterprise_criteria = EnterpriseCriteria(township_codes=codes, above_scale=above_scale)
        return await export(
            kind, file, settings, fmt, enterprise_criteria=enterprise_criteria, issue_criteria=issue_criteria
        )

    try:
        count = cli._with_db(work, settings)
    except ExportError as error:
        cli._refuse(error)
    except OSError as error:
        cli._refuse(f"cannot write {file}: {(error.strerror or str(error)).lower()}")
    except FileCreateError as error:  # xlsxwriter's, on close
        cli._refuse(f"cannot write {file}: {error}")
    cli.console.print(f"exported {count:,} {kind} to {file}", highlight=False)
