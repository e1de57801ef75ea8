"""REDCap data dictionary export (implementation: ``trialkit.interop.redcap``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.blinded_view import blinded_view
from trialkit.core.wording import gettext_noop as _  # marks for the catalogue
from trialkit.interop.exports._export import Export
from trialkit.interop.redcap import dictionary_csv, dictionary_problems


def _write(protocol: Protocol, rows: ExchangeRows | None, out: Path) -> Sequence[Path]:
    # Any exporting role may take it, blinded ones too: the forms as a blinded reader may be
    # told them (no form recording a real-or-sham procedure, no code naming an arm).
    out.write_text(dictionary_csv(blinded_view(protocol)), encoding="utf-8")
    return [out]


def _validate(path: Path) -> Sequence[str]:
    return dictionary_problems(path.read_text(encoding="utf-8"))


EXPORTS = (
    Export(
        name="redcap-dictionary", title=_("REDCap data dictionary (CSV)"),
        description=_("The protocol's case report forms as a REDCap data dictionary: a site "
                      "uploads it to build the same instruments in its REDCap project."),
        layout="file", suffix=".csv", media_type="text/csv", needs_data=False,
        write=_write, validate=_validate),
)
