"""The web import for administrators: upload → a dry-run report → confirm, on the import service.

``POST /imports/{kind}`` takes a multipart form: ``file`` (the register, ledger, team list or
outlines), ``crs`` (wgs84, gcj02, bd09), ``update`` and ``dryRun`` ("1" or "0"). It answers JSON:
the summary and every problem (file, row, column, value, reason). The web app sends the same file
twice, first with ``dryRun=1``, then, once the administrator confirms, with ``dryRun=0``; the real
run checks every row again and is all or nothing, as on the command line.
``GET /imports/templates/{kind}`` downloads the template.

Like a mutation, an upload needs the session cookie of an administrator and the ``X-Yimi-CSRF``
header (from this site's pages: yimi.accounts.csrf). Uploads may be larger than
``YIMI_MAX_REQUEST_BYTES``: ``YIMI_IMPORT_MAX_BYTES`` (default 50 MB) applies under /imports/.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from yimi.accounts.csrf import origin_refusal
from yimi.accounts.models import Role
from yimi.accounts.service import session_staff
from yimi.imports.coords import Crs
from yimi.imports.service import KINDS, ImportConflict, ImportFailed, ImportResult, run_import
from yimi.ops.body_size import REQUEST_TOO_LARGE, BodySizeLimit

PREFIX = "/imports/"
SUFFIXES = (".xlsx", ".csv", ".geojson", ".json")
# Problems in one answer: enough to fix a file by; the summary still counts all of them.
MAX_PROBLEMS = 500


class ImportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIMI_", extra="ignore")

    # The largest upload accepted under /imports/ (bytes); a 100,000-row register is about 8 MB.
    import_max_bytes: int = Field(50 * 1024 * 1024, ge=1024)


class _ImportBodySizeLimit(BodySizeLimit):
    """The body limit of uploads under /imports/: its 413 names YIMI_IMPORT_MAX_BYTES, in the shape of
    the import's other refusals (which the web page shows)."""

    def refusal(self) -> dict:
        return {
            "error": {
                "code": REQUEST_TOO_LARGE,
                "message": f"The file is larger than {self.max_bytes} bytes, the most an import accepts "
                "(YIMI_IMPORT_MAX_BYTES).",
                "maximum": self.max_bytes,
            }
        }


class UploadSizeLimit:
    """BodySizeLimit with the import limit under /imports/ and the usual one everywhere else."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None):
        self.usual = BodySizeLimit(app, max_bytes)
        self.upload = _ImportBodySizeLimit(app, upload_max_bytes or ImportSettings().import_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.upload(scope, receive, send)
        else:
            await self.usual(scope, receive, send)


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


async def _admin(request: Request) -> Any:
    """The administrator making the request, or the refusal to answer with (also for an unknown kind)."""
    staff = await session_staff(request.session)
    if staff is None:
        return _refusal(401, "UNAUTHENTICATED", "Sign in first.")
    if Role.ADMIN.value not in (staff.roles or []):
        return _refusal(403, "FORBIDDEN", "Only administrators import data.")
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return _refusal(404, "NOT_FOUND", f"Unknown kind {kind!r}: one of {', '.join(KINDS)}.")
    return staff


async def upload(request: Request) -> Response:
    settings = request.app.state.settings
    reason = origin_refusal(request, settings.csrf_trusted_origins)
    if reason is not None:
        return _refusal(403, "CSRF", f"Cross-site request refused: {reason}.")
    staff = await _admin(request)
    if isinstance(staff, Response):
        return staff
    kind = request.path_params["kind"]
    form = await request.form(max_files=1, max_fields=10)
    file = form.get("file")
    if file is None or isinstance(file, str) or not file.filename:
        return _refusal(400, "BAD_REQUEST", "Send the file in the form field 'file'.")
    name = Path(file.filename).name
    if Path(name).suffix.lower() not in SUFFIXES:
        return _refusal(400, "BAD_REQUEST", f"{name}: Yimi imports .xlsx, .csv and (townships) .geojson files.")
    try:
        crs = Crs(str(form.get("crs") or "wgs84"))
    except ValueError:
        return _refusal(400, "BAD_REQUEST", "crs must be wgs84, gcj02 or bd09.")
    with tempfile.TemporaryDirectory(prefix="yimi-import-") as folder:
        # Under its own name, so that problems name the file the administrator chose.
        path = Path(folder) / name
        with path.open("wb") as out:
            while chunk := await file.read(1 << 20):
                out.write(chunk)
        try:
            result = await run_import(
                kind,
                path,
                settings,
                crs=crs,
                dry_run=form.get("dryRun") != "0",
                update=form.get("update") == "1",
                importer=staff.username,
            )
        except ImportConflict as error:
            return _refusal(409, "CONFLICT", str(error))
        except ImportFailed as error:
            return _refusal(400, "UNREADABLE", str(error).replace(f"{path}", name))
    return JSONResponse(report(result))


def report(result: ImportResult) -> dict[str, Any]:
    problems = [
        {
            "level": p.level,
            "row": p.row,
            "column": p.column,
            "value": p.value,
            "reason": p.reason,
            "code": p.code,
            "params": p.params,
            "text": str(p),
        }
        for p in [*result.errors, *result.warnings][:MAX_PROBLEMS]
    ]
    return {
        "kind": result.kind,
        "file": result.file,
        "dryRun": result.dry_run,
        "committed": result.committed,
        "read": result.read,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "ignoredColumns": result.ignored_columns,
        "seconds": round(result.seconds, 2),
        "problems": problems,
        "changes": [
            {"row": c.row, "column": c.column, "old": c.old, "new": c.new, "text": str(c)}
            for c in result.changes[:MAX_PROBLEMS]
        ],
    }


async def template(request: Request) -> Response:
    from yimi.imports.templates import write_template

    staff = await _admin(request)
    if isinstance(staff, Response):
        return staff
    kind = request.path_params["kind"]
    suffix = ".geojson" if kind == "townships" else ".xlsx"
    folder = tempfile.mkdtemp(prefix="yimi-template-")
    path = Path(folder) / f"yimi-{kind}-template{suffix}"
    write_template(kind, path)
    import shutil

    return FileResponse(path, filename=path.name, background=BackgroundTask(shutil.rmtree, folder, True))


routes = [
    Route("/imports/templates/{kind}", template, methods=["GET"]),
    Route("/imports/{kind}", upload, methods=["POST"]),
]
