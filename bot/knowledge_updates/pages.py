"""The console's knowledge-base import: upload portal data, review the diff, put it in force.

Admins only: a new knowledge base changes every citizen's answers. Files are checked before
anything is kept (name, size, gzip, a first line that is a JSON object), so a wrong file is
refused at once with the reason; what only the full import can find is shown on the version's
page as a failed import.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.console.auth import accepts_upload, allow
from bot.console.context import N_, console, current_staff, gettext, render
from bot.knowledge_updates.build import SUFFIXES
from bot.knowledge_updates.store import SqlKnowledgeVersions, VersionState
from bot.storage.staff import Role

routes = web.RouteTableDef()

MAX_UPLOAD_BYTES = 32 * 1024 * 1024
"""All files of one upload together (the largest shipped source is under 3 MB)."""

MAX_FILES = 8
MAX_NAME_CHARS = 120
LISTED = 20

STATES = {
    VersionState.IMPORTING: N_("Importing…"),
    VersionState.FAILED: N_("Import failed"),
    VersionState.STAGED: N_("Ready to review"),
    VersionState.IN_FORCE: N_("In force"),
    VersionState.REPLACED: N_("Replaced"),
    VersionState.DISCARDED: N_("Discarded"),
    VersionState.INTERRUPTED: N_("Interrupted: upload again"),
}


@routes.get("/knowledge-import", name="kb_import")
@allow(Role.ADMIN)
async def import_page(request: web.Request) -> web.Response:
    """The upload form, the sources in use, and the versions so far."""
    return await _import_page(request, None)


@routes.post("/knowledge-import", name="kb_upload")
@allow(Role.ADMIN)
@accepts_upload(MAX_UPLOAD_BYTES)
async def upload(request: web.Request) -> web.Response:
    """Keep the files and start importing them; the version's page follows the import."""
    form = await request.post()
    uploads = [f for f in form.getall("files", []) if isinstance(f, FileField)]
    try:
        checked = {f.filename: _checked(f) for f in uploads if f.filename}
    except _Refused as refused:
        return await _import_page(request, refused.reason)
    if not checked:
        return await _import_page(request, N_("Choose at least one portal data file."))
    if len(checked) > MAX_FILES:
        return await _import_page(
            request, N_("Upload at most {count} files at a time."), count=MAX_FILES
        )
    updates = console(request).knowledge_updates
    version_id = await updates.upload(checked, current_staff(request))
    raise web.HTTPSeeOther(request.app.router["kb_version"].url_for(id=str(version_id)))


@routes.get("/knowledge-import/{id:\\d+}", name="kb_version")
@allow(Role.ADMIN)
async def version_page(request: web.Request) -> web.Response:
    """One version: its import under way, its failure, or the diff to review and apply."""
    deps = console(request)
    version_id = int(request.match_info["id"])
    async with deps.database.transaction() as session:
        version = await SqlKnowledgeVersions(session).get(version_id, deps.clock.now())
    if version is None:
        raise web.HTTPNotFound()
    return render(
        request,
        "kb_version.html",
        {
            "version": version,
            "states": STATES,
            "importing": version.state is VersionState.IMPORTING,
            "done": request.query.get("done", ""),
        },
    )


@routes.post("/knowledge-import/{id:\\d+}/apply", name="kb_apply")
@allow(Role.ADMIN)
async def apply(request: web.Request) -> web.Response:
    """Put the version in force on every worker."""
    return await _act(request, "apply")


@routes.post("/knowledge-import/{id:\\d+}/discard", name="kb_discard")
@allow(Role.ADMIN)
async def discard(request: web.Request) -> web.Response:
    """Drop the version."""
    return await _act(request, "discard")


async def _act(request: web.Request, action: str) -> web.Response:
    updates = console(request).knowledge_updates
    version_id = int(request.match_info["id"])
    staff = current_staff(request)
    done = (
        await updates.apply(version_id, staff)
        if action == "apply"
        else await updates.discard(version_id, staff)
    )
    url = request.app.router["kb_version"].url_for(id=str(version_id))
    raise web.HTTPSeeOther(url.with_query(done=action if done else "stale"))


class _Refused(Exception):
    """A file that cannot be a portal data file; ``reason`` is a message id."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _checked(upload: FileField) -> bytes:
    name = upload.filename
    if len(name) > MAX_NAME_CHARS or "/" in name or "\\" in name or name.startswith("."):
        raise _Refused(N_("A file name may not contain folders and must be short."))
    if not name.endswith(SUFFIXES):
        raise _Refused(N_("Only .jsonl or .jsonl.gz portal data files can be imported."))
    data = upload.file.read()
    first = _first_line(data, gzipped=name.endswith(".gz"))
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise _Refused(N_("The first line of the file is not a JSON record of a procedure."))
    return bytes(data)


def _first_line(data: bytes, *, gzipped: bool) -> str:
    """The file's first non-empty line, read without unpacking the whole file."""
    try:
        stream = gzip.GzipFile(fileobj=io.BytesIO(data)) if gzipped else io.BytesIO(data)
        with io.TextIOWrapper(stream, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    return line
    except (OSError, EOFError, zlib.error):
        raise _Refused(N_("The file is not a readable .gz archive.")) from None
    except UnicodeDecodeError:
        raise _Refused(N_("The file is not UTF-8 text.")) from None
    raise _Refused(N_("The file is empty."))


async def _import_page(request: web.Request, error: str | None, **values: object) -> web.Response:
    deps = console(request)
    async with deps.database.transaction() as session:
        versions = await SqlKnowledgeVersions(session).recent(LISTED, deps.clock.now())
    context: dict[str, Any] = {
        "versions": versions,
        "states": STATES,
        "shipped": deps.knowledge_updates.shipped(),
        "enabled": deps.knowledge_updates.enabled,
        "error": gettext(request)(error).format(**values) if error else "",
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "kb_import.html", context, status=400 if error else 200)
