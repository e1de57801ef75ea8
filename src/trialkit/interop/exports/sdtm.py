"""SDTM datasets (XPT v5 and Dataset-JSON 1.1) with their Define-XML 2.1, as an export of the
registry; the work is ``trialkit.interop.sdtm``'s."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.wording import gettext_noop as _  # marks for the catalogue
from trialkit.interop.exports._export import Export, ExportError
from trialkit.interop.sdtm import validate_submission, validate_with_core, write_submission


def _write(protocol: Protocol, rows: ExchangeRows | None, out: Path) -> Sequence[Path]:
    if rows is None:
        raise ExportError("SDTM datasets are written from the trial's data; none was given")
    return write_submission(protocol, rows, out)


def _validate(folder: Path) -> Sequence[str]:
    return validate_submission(folder)


EXPORTS = (
    Export(
        name="sdtm", title=_("CDISC SDTM datasets with Define-XML 2.1"),
        description=_("The trial's tabulation datasets as SAS transport v5 and Dataset-JSON 1.1 "
                      "files with the define.xml that describes them; a sponsor submits them to "
                      "a regulator."),
        layout="folder", suffix=".zip", media_type="application/zip", needs_data=True,
        write=_write, validate=_validate, external_validator=validate_with_core,
        # The trial-design domains (TA, TE, TS's control type) name the arms: a blinded reader
        # is refused the package; it is for unblinded roles, and for every role after the lock.
        describes_arms=True),
)
