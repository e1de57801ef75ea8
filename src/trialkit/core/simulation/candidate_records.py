"""Synthetic candidates as patient records of a protocol: the cohort generator's neutral rows
grouped by patient and written as the record JSON the parser reads (the protocol's own
tables, named by the scenario file's ``record`` section)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt

from trialkit.core.eligibility.compile import compile_criteria
from trialkit.core.eligibility.record import PatientRecord, parse_record
from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.record import TableDef
from trialkit.core.simulation import cohort_background as background
from trialkit.core.simulation.attestations import attestation_answers
from trialkit.core.simulation.cohort import Cohort
from trialkit.core.simulation.cohort_base import Columns
from trialkit.core.simulation.cohort_history import LAB_CODES, UNITS
from trialkit.core.simulation.scenario_file import ScenarioFile

EPOCH = dt.date(1970, 1, 1).toordinal()
CONSENT_DAYS_BEFORE_INDEX = 14


def records(protocol: Protocol, file: ScenarioFile, cohort: Cohort,
            chosen: npt.NDArray[np.int64]) -> list[PatientRecord]:
    """The chosen patients as patient records of the protocol, through the record parser."""
    schema = protocol.record_schema()
    catalogue = protocol.lab_catalogue()
    rows = _RowsByPatient(protocol, file, cohort)
    return [parse_record(rows.record(int(i)), schema, catalogue) for i in chosen]



def count_columns(protocol: Protocol, file: ScenarioFile) -> list[str]:
    """Every count column of the scan table, as ``table.column``, in table order."""
    table = protocol.record_schema().table(file.record.enhancing_lesions.split(".")[0])
    return [f"{table.id}.{c.id}" for c in table.columns if c.type == "count"]


def iso(day: int | np.integer[Any] | float) -> str:
    return dt.date.fromordinal(EPOCH + int(day)).isoformat()


class _RowsByPatient:
    """The cohort's rows grouped by patient, and one patient's record as JSON data."""

    def __init__(self, protocol: Protocol, file: ScenarioFile, cohort: Cohort) -> None:
        self.cohort, self.n = cohort, cohort.patients.n
        schema = protocol.record_schema()
        self.tables = {name: schema.table(str(target).split(".")[0])
                       for name, target in file.record}
        self.score_column = file.record.disability.split(".")[1]
        self.count_columns = [c.split(".")[1] for c in count_columns(protocol, file)]
        self.keys = [key for key, _, _ in attestation_answers(compile_criteria(protocol))]
        self.groups = {name: [_group(part, self.n) for part in parts] for name, parts in (
            ("labs", cohort.labs), ("conditions", cohort.conditions), ("drugs", cohort.drugs),
            ("counts", cohort.counts), ("other", [cohort.events, cohort.scans, cohort.scores,
                                                  cohort.attestations]))}

    def record(self, i: int) -> dict[str, Any]:
        p, ref = self.cohort.patients, self.cohort.patients.ref
        data: dict[str, Any] = {
            "patient_id": f"candidate-{i + 1}", "sex": "female" if p.female[i] else "male",
            "birth_date": iso(p.birth[i]),
            "consent_date": iso(ref - CONSENT_DAYS_BEFORE_INDEX), "index_date": iso(ref),
            "observation_period": {"start": iso(p.obs_start[i]), "end": iso(p.obs_end[i])},
            "attestations": self._attestations(i), "diagnoses": self._diagnoses(i),
            "medications": self._medications(i), "labs": self._labs(i)}
        data.update(self._disease(i))
        return data

    def _rows(self, kind: str, index: int, i: int) -> tuple[Columns, npt.NDArray[np.int64]]:
        part, (order, bounds) = self._part(kind, index), self.groups[kind][index]
        return part, order[bounds[i]:bounds[i + 1]]

    def _part(self, kind: str, index: int) -> Columns:
        parts = {"labs": self.cohort.labs, "conditions": self.cohort.conditions,
                 "drugs": self.cohort.drugs, "counts": self.cohort.counts}.get(kind)
        if parts is not None:
            return parts[index]
        other = [self.cohort.events, self.cohort.scans, self.cohort.scores,
                 self.cohort.attestations][index]
        assert other is not None
        return other

    def _attestations(self, i: int) -> dict[str, bool]:
        if self.cohort.attestations is None:
            return {}
        part, rows = self._rows("other", 3, i)
        return {self.keys[int(part["key"][r])]: bool(part["yes"][r]) for r in rows}

    def _diagnoses(self, i: int) -> list[dict[str, Any]]:
        found = []
        for index in range(len(self.cohort.conditions)):
            part, rows = self._rows("conditions", index, i)
            for r in rows:
                code = int(part["snomed"][r]) if part["snomed"][r] >= 0 else int(part["icd10"][r])
                vocabulary, value = background.CONDITION_CODES[code]
                end = part["end"][r]
                found.append({"code": f"{vocabulary}:{value}", "date": iso(part["date"][r]),
                              "end_date": None if np.isnan(end) else iso(end)})
        return found

    def _medications(self, i: int) -> list[dict[str, Any]]:
        found = []
        for index in range(len(self.cohort.drugs)):
            part, rows = self._rows("drugs", index, i)
            found += [{"ingredient": background.DRUGS[int(part["ingredient"][r])],
                       "start_date": iso(part["date"][r]), "end_date": iso(part["end"][r])}
                      for r in rows]
        return found

    def _labs(self, i: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for index in range(len(self.cohort.labs)):
            part, rows = self._rows("labs", index, i)
            found += [_lab(part, r) for r in rows]
        return found

    def _disease(self, i: int) -> dict[str, list[dict[str, Any]]]:
        relapses, scores = self.tables["relapse_events"], self.tables["disability"]
        part, rows = self._rows("other", 0, i)
        tables: dict[str, list[dict[str, Any]]] = {
            relapses.id: [{relapses.date: iso(part["date"][r])} for r in rows]}
        part, rows = self._rows("other", 2, i)
        tables.setdefault(scores.id, []).extend(
            {scores.date: iso(part["date"][r]), self.score_column: float(part["value"][r])}
            for r in rows)
        return self._scans(i, tables)

    def _scans(self, i: int, tables: dict[str, list[dict[str, Any]]]
               ) -> dict[str, list[dict[str, Any]]]:
        table: TableDef = self.tables["enhancing_lesions"]
        part, rows = self._rows("other", 1, i)
        scans: dict[int, dict[str, Any]] = {int(r): {table.date: iso(part["date"][r])}
                                            for r in rows}
        for index, column in enumerate(self.count_columns):
            counts, found = self._rows("counts", index, i)
            for r in found:
                scans[int(counts["scan"][r])][column] = int(counts["value"][r])
        tables.setdefault(table.id, []).extend(scans.values())
        return tables


def _lab(part: Columns, r: int) -> dict[str, Any]:
    row: dict[str, Any] = {"date": iso(part["date"][r]),
                           "test": f"LOINC:{LAB_CODES[int(part['test'][r])]}"}
    if not np.isnan(part["positive"][r]):
        row["value_text"] = "positive" if part["positive"][r] else "negative"
        return row
    row["value"], row["unit"] = float(part["value"][r]), UNITS[int(part["unit"][r])]
    if not np.isnan(part["range_high"][r]):
        row["uln"] = float(part["range_high"][r])
    return row


def _group(part: Columns | None, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Row order sorted by patient, and where each patient's rows start."""
    who = part["who"] if part is not None else np.zeros(0, dtype=np.int64)
    order = np.argsort(who, kind="stable").astype(np.int64)
    bounds = np.searchsorted(who[order], np.arange(n + 1)).astype(np.int64)
    return order, bounds
