"""CDISC ODM 1.3.2 exports: the study metadata, a Snapshot and a Transactional file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.wording import gettext_noop as _  # marks for the catalogue
from trialkit.interop.exports._export import Export, ExportError
from trialkit.interop.odm import (
    OdmExportError,
    problems,
    write_metadata,
    write_snapshot,
    write_transactional,
)


def _metadata(protocol: Protocol, rows: ExchangeRows | None, out: Path) -> Sequence[Path]:
    return [write_metadata(protocol, out)]


def _with_data(write: Callable[[Protocol, ExchangeRows, Path], Path]) -> Callable[
        [Protocol, ExchangeRows | None, Path], Sequence[Path]]:
    def writer(protocol: Protocol, rows: ExchangeRows | None, out: Path) -> Sequence[Path]:
        if rows is None:
            raise ExportError("the ODM clinical data files need the trial's data")
        try:
            return [write(protocol, rows, out)]
        except OdmExportError as exc:
            raise ExportError(str(exc)) from None
    return writer


EXPORTS = (
    # Written for any reader (no exporting role sees arms): the forms that record a
    # real-or-sham procedure and the codes that name an arm are left out (write_metadata).
    Export(name="odm-metadata", title=_("CDISC ODM 1.3.2 study metadata"),
           description=_("The protocol's visits, forms, items, units and code lists as ODM "
                         "1.3.2; a data manager builds the same study in another EDC from it."),
           layout="file", suffix=".xml", media_type="application/xml", needs_data=False,
           write=_metadata, validate=problems),
    Export(name="odm-snapshot", title=_("CDISC ODM 1.3.2 clinical data (Snapshot)"),
           description=_("The latest version of every form of every participant as of the "
                         "day, with the metadata, as ODM 1.3.2; loaded into another EDC or "
                         "archived."),
           layout="file", suffix=".xml", media_type="application/xml", needs_data=True,
           write=_with_data(write_snapshot), validate=problems),
    Export(name="odm-transactional", title=_("CDISC ODM 1.3.2 audit trail (Transactional)"),
           description=_("Every saved version of every item with who, where, when and why, and "
                         "the e-signatures, as ODM 1.3.2; for an audit or a migration with "
                         "history."),
           layout="file", suffix=".xml", media_type="application/xml", needs_data=True,
           write=_with_data(write_transactional), validate=problems),
)
