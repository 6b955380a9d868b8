"""The `yimi` command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from yimi.settings import get_settings

app = typer.Typer(help="Yimi (一米): enterprise-service issues, teams and maps.", no_args_is_help=True)
console = Console()


@app.command()
def migrate() -> None:
    """Apply the database migrations (creates the SQLite file if needed)."""
    from yimi import db

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            console.print(f"applied {app_label}.{name}")

    asyncio.run(db.migrate(get_settings(), progress=progress))
    console.print("[green]database is up to date[/green]")


@app.command()
def demo(
    reset: bool = typer.Option(False, "--reset", help="Delete all data and load the demo again."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """Load the demo county (Weishi, 尉氏县): townships, teams, 600 enterprises, 3,000+ issues."""
    from yimi import db
    from yimi.demo.loader import load_demo

    async def run():
        settings = get_settings()
        await db.init_db(settings)
        try:
            return await load_demo(settings, reset=reset, progress=not quiet)
        finally:
            await db.close_db()

    summary = asyncio.run(run())
    console.print(str(summary))


@app.command()
def serve(
    host: str = typer.Option(None, help="Overrides YIMI_HOST."),
    port: int = typer.Option(None, help="Overrides YIMI_PORT."),
    workers: int = typer.Option(1, help="Server processes."),
) -> None:
    """Serve the API and the web app with uvicorn."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "yimi.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
    )


@app.command()
def schema(output: Path = typer.Option(Path("schema.graphql"), help="Where to write the SDL.")) -> None:
    """Export the GraphQL schema (the published contract) as SDL."""
    from yimi.graphql.schema import schema as gql_schema

    output.write_text(gql_schema.as_str() + "\n", encoding="utf-8")
    console.print(f"wrote {output}")


if __name__ == "__main__":
    app()
