"""All analysis datasets of a protocol from the trial's neutral rows."""

from __future__ import annotations

from dataclasses import dataclass

from trialkit.core.adam.derived import adcnt_records, adrsp_records, adtte_records
from trialkit.core.adam.events import adae_records, adex_records
from trialkit.core.adam.findings import bds_records
from trialkit.core.adam.rows import TrialRows
from trialkit.core.adam.subjects import adsl_records
from trialkit.core.adam.values import Record, merge, table
from trialkit.core.analysis.table import Table
from trialkit.core.protocol.analysis_datasets import DatasetSpec, dataset_specs, merged
from trialkit.core.protocol.model import Protocol


@dataclass(frozen=True)
class AnalysisDatasets:
    tables: dict[str, Table]
    """Dataset name → its records, variables in the spec's order plus the merged ADSL ones."""
    specs: dict[str, DatasetSpec]
    blinded: bool
    digest: str
    """SHA-256 of the input rows."""
    notes: tuple[str, ...]

    def variables(self, name: str) -> tuple[str, ...]:
        return self.tables[name].names


def derive(protocol: Protocol, rows: TrialRows) -> AnalysisDatasets:
    specs = dataset_specs(protocol)
    subjects = {r["USUBJID"]: r for r in adsl_records(protocol, rows)}
    records: dict[str, list[Record]] = {"ADSL": list(subjects.values()),
                                        "ADAE": adae_records(protocol, rows, subjects),
                                        "ADEX": adex_records(protocol, rows, subjects)}
    for name, spec in specs.items():
        if spec.form and spec.structure == "BDS":
            records[name] = bds_records(protocol, rows, spec, subjects)
    notes: list[str] = []
    if "ADTTE" in specs:
        records["ADTTE"] = adtte_records(protocol, rows, subjects, records, notes)
    if "ADCNT" in specs:
        records["ADCNT"] = adcnt_records(protocol, rows, subjects, records)
    if "ADRSP" in specs:
        records["ADRSP"] = adrsp_records(protocol, subjects, records)
    extra = merged(protocol)
    tables = {}
    for name, spec in specs.items():
        own = spec.names
        added = tuple(v for v in extra if v.name not in own)
        if name != "ADSL":
            merge(records[name], subjects, (v.name for v in added))
        tables[name] = table((*spec.variables, *(added if name != "ADSL" else ())),
                             records[name])
    return AnalysisDatasets(tables, specs, rows.blinded, rows.digest(), tuple(notes))
