"""The ClinicalTrials.gov API v2 study record, as an export of the registry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.wording import gettext_noop as _  # marks for the catalogue
from trialkit.interop.ctgov.export import study_json
from trialkit.interop.ctgov.schema import study_errors
from trialkit.interop.exports._export import Export


def _write(protocol: Protocol, rows: ExchangeRows | None, out: Path) -> Sequence[Path]:
    out.write_text(study_json(protocol) + "\n", encoding="utf-8")
    return [out]


def _validate(path: Path) -> Sequence[str]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{path.name}: not a JSON document ({exc})"]
    return study_errors(record, closed=True)


EXPORTS = (
    Export(
        name="ctgov-json", title=_("ClinicalTrials.gov study record (API v2 JSON)"),
        description=_("The registry record of the trial, as the registry's API v2 serves it; a "
                      "sponsor registers or updates the trial with it."),
        layout="file", suffix=".json", media_type="application/json", needs_data=False,
        write=_write, validate=_validate, describes_arms=True),
)
