"""The `sdtm` export of the registry on each protocol: a participant who consented, enrolled and
received the protocol's first-part administrations becomes a folder of .xpt and .json files and
a define.xml that pass the Dataset-JSON and Define-XML schemas and trialkit's checker."""

from __future__ import annotations

import datetime as dt

import pytest

from trialkit.core.adam.rows import ParticipantRow, TrialRows
from trialkit.core.exchange import DoseRow, ExchangeRows, SiteRow
from trialkit.core.protocol import Protocol
from trialkit.interop.exports import EXPORTS, ExportError
from trialkit.interop.sdtm import check_folder

pytestmark = pytest.mark.protocols()
START = dt.date(2025, 3, 3)


def _rows(protocol: Protocol) -> ExchangeRows:
    part = protocol.design.parts[0]
    person = ParticipantRow(1, "S001", "SITE1", "enrolled", part.id,
                            START - dt.timedelta(days=20), START)
    doses = []
    for administration in protocol.design.administrations:
        day = protocol.visit(administration.visit).day
        if administration.period is None and day is not None and day >= 0:
            given = dt.datetime.combine(START + dt.timedelta(days=day), dt.time(9), dt.UTC)
            doses.append(DoseRow(1, administration.id, given))
    trial = TrialRows(protocol.identity.id, START + dt.timedelta(days=60), (person,),
                      period_starts={1: {}}, allocations=None)
    return ExchangeRows(trial, sites=(SiteRow("SITE1", "Site one", "France"),),
                        doses=tuple(doses))


def test_the_sdtm_export_needs_data_and_writes_a_folder(trial, tmp_path):
    export = EXPORTS["sdtm"]
    assert export.needs_data and export.layout == "folder"
    with pytest.raises(ExportError):
        export.write(trial.protocol, None, tmp_path / "out")


def test_the_sdtm_folder_of_each_protocol_passes_the_schemas_and_the_checker(trial, tmp_path):
    export, out = EXPORTS["sdtm"], tmp_path / "sdtm"
    written = export.write(trial.protocol, _rows(trial.protocol), out)
    names = {p.name for p in written}
    assert {"dm.xpt", "dm.json", "ts.xpt", "ts.json", "define.xml"} <= names
    assert all(p.is_file() for p in written)
    assert list(export.validate(out)) == []
    warnings = [f for f in check_folder(out) if f.severity == "warning"]
    assert all(f.rule.startswith(("TK-CT", "TK-SD-03", "TK-SD-04")) for f in warnings)
