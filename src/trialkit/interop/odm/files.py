"""The three ODM files trialkit writes: metadata, Snapshot and Transactional."""

from __future__ import annotations

from pathlib import Path

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol, protocol_version
from trialkit.core.protocol.blinded_view import blinded_view, readable_part
from trialkit.interop.odm import oids
from trialkit.interop.odm.admin import add_admin
from trialkit.interop.odm.clinical import add_snapshot, add_transactions
from trialkit.interop.odm.metadata import add_study
from trialkit.interop.odm.writer import root, write


def write_metadata(protocol: Protocol, out: Path, *, blinded: bool = True) -> Path:
    """The protocol's study metadata. Its creation time is the protocol's last registry update
    (else its start), never the clock, so one protocol version always gives the same bytes.

    ``blinded`` (the registry's export, which any exporting role may take): every form but
    those that record a real-or-sham procedure, without the codes that name an arm, visits by
    their ids, no titles (``readable_part``). ``blinded=False``: the whole protocol, for a
    reader who sees arms (and the round-trip tests)."""
    day = protocol.status.last_update or protocol.status.start.date
    document = root(file_type="Snapshot", granularity="Metadata",
                    file_oid=f"{oids.study(protocol.identity.id)}.metadata."
                             f"{protocol_version(protocol)[:16]}",
                    created=f"{day.isoformat()}T00:00:00+00:00",
                    description=f"{protocol.identity.id}: study metadata (forms, visits, codes)")
    if blinded:
        add_study(document, blinded_view(protocol), version=protocol_version(protocol),
                  blinded=True)
    else:
        add_study(document, protocol)
    return write(document, out)


def write_snapshot(protocol: Protocol, rows: ExchangeRows, out: Path) -> Path:
    return _write_data(protocol, rows, out, transactional=False)


def write_transactional(protocol: Protocol, rows: ExchangeRows, out: Path) -> Path:
    return _write_data(protocol, rows, out, transactional=True)


def _write_data(protocol: Protocol, rows: ExchangeRows, out: Path, *,
                transactional: bool) -> Path:
    """Metadata, AdminData and ClinicalData in one self-contained file. The FileOID carries the
    digest of the rows, so a file names the exact input it was written from. A blinded
    reader's file describes only the forms its rows hold, without titles or visit purposes."""
    kind = "Transactional" if transactional else "Snapshot"
    stamp = oids.end_of(rows.as_of)
    version = protocol_version(protocol)
    study_oid, mdv_oid = oids.study(protocol.identity.id), oids.metadata_version(version)
    document = root(file_type=kind, granularity="All", created=stamp, as_of=stamp,
                    file_oid=f"{study_oid}.{kind.lower()}.{rows.as_of.isoformat()}."
                             f"{rows.digest()[:16]}",
                    description=f"{protocol.identity.id}: clinical data as of "
                                f"{rows.as_of.isoformat()} ({kind.lower()})")
    if rows.blinded:  # only the forms the reader's rows hold: others may name the arms
        described = readable_part(protocol, {v.form for v in rows.versions}
                                  | {f.form for f in rows.trial.forms})
        add_study(document, described, version=version, blinded=True)
    else:
        add_study(document, protocol)
    add_admin(document, rows, study_oid, mdv_oid)
    adding = add_transactions if transactional else add_snapshot
    adding(document, protocol, rows, study_oid, mdv_oid)
    return write(document, out)
