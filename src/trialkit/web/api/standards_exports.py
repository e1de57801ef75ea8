"""The standards exports for API clients and the data manager's page: every format of the one
registry (``trialkit.interop.exports.EXPORTS``), written for the token's actor as of a day.

Who may ask is the data exports' rule (``exports._require_export``: roles that export data, and
monitors, who review source data). What they get is the access layer's: the rows are read by
``exchange_source.exchange_rows`` for the actor, so they hold the actor's sites and readable
forms, and allocation only where the access layer grants it; a writer given blinded rows
writes nothing that differs by arm. A format that describes the design's arms themselves (a
registry record, a FHIR ResearchStudy: ``Export.describes_arms``) is refused to a reader the
access layer does not give arms (``access.may_read_arms``), as every fact about the arms is
concealed from blinded staff, even one a public registry shows. A format of several files
(``layout == "folder"``) is answered as one zip whose bytes depend on the files alone (sorted
names, fixed times), so the same data gives the same download. Every download is in the audit
trail as an export.

``download`` is the one code path: the page's download view calls it too.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Path as PathParam
from ninja import Query, Router, Schema
from pydantic import WithJsonSchema

from trialkit.core.exchange import ExchangeRows
from trialkit.interop.exports import EXPORTS, Export, ExportError
from trialkit.web.api.auth import actor_of
from trialkit.web.api.exports import _require_export
from trialkit.web.api.schemas import ERRORS, DateInput, InSchema, responses
from trialkit.web.trial.access import may_read_arms
from trialkit.web.trial.actions.base import (
    Actor,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.exchange_source import exchange_rows
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.read_audit import audited_export, refused_read
from trialkit.web.trial.study import in_protocol_language

router = Router(tags=["exports"])

ZIP_MEDIA = "application/zip"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every zip member's time: the earliest a zip holds, so the bytes depend on content only."""

FormatName = Annotated[str, WithJsonSchema(
    {"type": "string", "enum": list(EXPORTS)}, mode="validation")]
"""A registered export's name; checked against the registry by ``export_named`` (404)."""


class StandardOut(Schema):
    name: str
    title: str
    description: str
    layout: str
    media_type: str
    """The download's media type: a folder's is a zip's."""
    needs_data: bool
    describes_arms: bool
    """Refused to blinded readers: it names the design's arms."""


class StandardQuery(InSchema):
    as_of: Annotated[dt.date, DateInput("as_of")] | None = None
    """Data as of the end of this day (UTC); default today."""


@dataclass(frozen=True)
class Download:
    body: bytes
    filename: str
    media_type: str


def may_export(actor: Actor) -> bool:
    """``exports._require_export``'s rule as a question, for the navigation: roles that
    export data, and monitors, who review source data."""
    return actor.can("export_data") or actor.can("verify_source")


def export_named(name: str) -> Export:
    try:
        return EXPORTS[name]
    except KeyError:
        raise NotFoundError(f"no standards export '{name}'; known: {', '.join(EXPORTS)}",
                            field="format") from None


def may_read(actor: Actor, export: Export) -> bool:
    """Whether an actor who may export is given this format (blinding-wise)."""
    return not export.describes_arms or may_read_arms(actor)


def require_reader(actor: Actor, export: Export) -> None:
    """Refuse (audited) an actor who may not export, or a blinded one a format naming arms."""
    _require_export(actor)
    if not may_read(actor, export):
        message = (f"{export.name} describes the trial's arms; role '{actor.role}' is blinded "
                   "to them")
        refused_read(actor, AuditAction.EXPORT_DATA, message, object_type="Export")
        raise NotPermittedError(message, field="format")


def media_type(export: Export) -> str:
    return ZIP_MEDIA if export.layout == "folder" else export.media_type


def participants_in(rows: ExchangeRows | None) -> int:
    """The audit's row count: the participants whose data leaves (none for a format written
    from the protocol alone)."""
    return 0 if rows is None else len(rows.trial.participants)


def zipped(folder: Path) -> bytes:
    """The folder's files in one zip, in sorted order with fixed times and modes."""
    with tempfile.SpooledTemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                           if p.is_file())
            for name in names:
                member = zipfile.ZipInfo(name, ZIP_TIME)
                member.external_attr = 0o644 << 16
                member.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(member, (folder / name).read_bytes())
        buffer.seek(0)
        return buffer.read()


def download(actor: Actor, name: str, as_of: dt.date) -> Download:
    """The export ``name`` as ``actor`` may have it as of ``as_of``, audited as an export; in
    the protocol's own words whatever the page's language (an export is a record)."""
    _require_export(actor)
    export = export_named(name)
    require_reader(actor, export)
    with in_protocol_language():
        return _download(actor, export, as_of)


def _download(actor: Actor, export: Export, as_of: dt.date) -> Download:
    protocol = actor.protocol()
    rows = exchange_rows(as_of, actor) if export.needs_data else None
    stem = f"{protocol.identity.id.lower()}-{export.name}-{as_of.isoformat()}"
    with tempfile.TemporaryDirectory(prefix="trialkit-export-") as tmp:
        out = Path(tmp) / (stem if export.layout == "folder" else stem + export.suffix)
        try:
            export.write(protocol, rows, out)
        except ExportError as exc:
            raise StateConflictError(f"{export.name}: {exc}", field="format") from None
        body = zipped(out) if export.layout == "folder" else out.read_bytes()
    audited_export(actor, f"standards export {export.name}", rows=participants_in(rows),
                   file_format=export.name, as_of=as_of.isoformat())
    return Download(body, stem + export.suffix, media_type(export))


def _file_responses() -> dict[str, object]:
    """Every media type the download may have: a JSON format is validated as any object."""
    content = {media: {"schema": {"type": "object"} if media == "application/json" else {
        "type": "string", "format": "binary"}}
        for media in sorted({media_type(e) for e in EXPORTS.values()})}
    return {"responses": {200: {"description": "the export's file (a folder's as a zip)",
                                "content": content}}}


@router.get("/exports/standards", response=responses(list[StandardOut]))
def standards(request: HttpRequest) -> list[StandardOut]:
    """Every standards export trialkit writes, as `trialkit export --list` shows them."""
    _require_export(actor_of(request))
    return [StandardOut(name=e.name, title=e.title, description=e.description, layout=e.layout,
                        media_type=media_type(e), needs_data=e.needs_data,
                        describes_arms=e.describes_arms)
            for e in EXPORTS.values()]


@router.get("/exports/standards/{format}", response=ERRORS, openapi_extra=_file_responses())
def standard(request: HttpRequest, format: PathParam[FormatName],
             query: Query[StandardQuery]) -> HttpResponse:
    """One export as `trialkit export FORMAT --as-of DATE` writes it, for the token's actor;
    a format of several files as a zip."""
    got = download(actor_of(request), format, query.as_of or today())
    # Whole, not streamed: an API client (and the audit middleware's answer) gets one body.
    response = HttpResponse(got.body, content_type=got.media_type)
    response["Content-Disposition"] = f'attachment; filename="{got.filename}"'
    return response
