"""The spec suite: cases written in the criteria language (``tests/spec/cases/*.yaml``), run on
every engine, and rendered into docs/criteria-language.md.

A spec file states a record context (the base record, plus a disease library of
``protocols/library/`` or tables declared inline), value sets, and cases: a rule (or several
named rules), and patients with the status each must get (and optionally the verdict). A
patient is the JSON record of docs/reference/patient-record.md, written tersely: the fields
given are laid over a default patient (index 2026-11-20, born 1980-06-15, female).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.compile import CompiledCriteria, CompiledCriterion, screen
from trialkit.core.eligibility.language import RuleContext
from trialkit.core.eligibility.record import PatientRecord, parse_record
from trialkit.core.protocol.labs import LabTest, packaged_catalogue
from trialkit.core.protocol.record import RecordSection, base_schema

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
LIBRARY = ROOT / "protocols" / "library"
INDEX = "2026-11-20"
BASE: dict[str, Any] = {"sex": "female", "birth_date": "1980-06-15", "index_date": INDEX}
PATIENT_KEYS = ("id", "expect", "verdict", "note")


@dataclass(frozen=True)
class ValueSet:
    id: str
    kind: str
    codes: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Patient:
    id: str
    facts: dict[str, Any]
    """The record fields given (over the default patient)."""
    expect: dict[str, str]
    """Criterion id → status ("C" for a single rule)."""
    verdict: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    rules: dict[str, str]
    patients: tuple[Patient, ...]
    kind: str = "inclusion"
    about: str = ""
    as_of: dt.date | None = None


@dataclass(frozen=True)
class Spec:
    path: Path
    title: str
    about: str
    context: RuleContext
    record: str
    """How the record context was given, in words (for the docs)."""
    cases: tuple[Case, ...] = field(default=())

    def parse(self, case: Case) -> dict[str, n.Cond]:
        return {cid: self.context.parse(rule) for cid, rule in case.rules.items()}

    def record_of(self, patient: Patient) -> PatientRecord:
        data = {**BASE, "patient_id": patient.id, **patient.facts}
        data = {k: v for k, v in data.items() if v is not None}
        return parse_record(data, self.context.record_schema, self.context.lab_catalogue)

    def compiled(self, case: Case) -> CompiledCriteria:
        return CompiledCriteria("SPEC", "0", tuple(
            CompiledCriterion(cid, case.kind, node)  # type: ignore[arg-type]
            for cid, node in self.parse(case).items()), self.context.screening_days,
            self.context)


def _section(data: dict[str, Any]) -> tuple[RecordSection, str]:
    record = data.get("record") or {}
    library = record.get("library") if isinstance(record, dict) else None
    if library is not None:
        text = (LIBRARY / f"{library}.yaml").read_text(encoding="utf-8")
        section = RecordSection.model_validate(yaml.safe_load(text)["record"])
        return section, f"the base record and `protocols/library/{library}.yaml`"
    if record:
        section = RecordSection.model_validate(record)
        names = ", ".join(f"`{t.id}`" for t in section.tables)
        return section, f"the base record and tables declared here: {names}"
    return RecordSection(), "the base record"


def _patients(rows: list[dict[str, Any]], rules: dict[str, str]) -> tuple[Patient, ...]:
    patients = []
    for row in rows:
        expect = row.get("expect")
        statuses = expect if isinstance(expect, dict) else (
            {next(iter(rules)): expect} if expect is not None else {})
        facts = {k: v for k, v in row.items() if k not in PATIENT_KEYS}
        patients.append(Patient(str(row["id"]), facts, statuses, row.get("verdict"),
                                row.get("note", "")))
    return tuple(patients)


@cache
def load_spec(path: Path) -> Spec:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    section, described = _section(data)
    tests = tuple(LabTest.model_validate(t) for t in data.get("lab_tests", ()))
    catalogue = packaged_catalogue().extended(tests)
    context = RuleContext.build(
        base_schema().extended(section),
        [ValueSet(v["id"], v["kind"], tuple(v["codes"]), v.get("description", ""))
         for v in data.get("value_sets", ())],
        [n.UlnFallback(f["test"], float(f["value"]), f["unit"])
         for f in data.get("fallback_uln", ())],
        data.get("screening_days", 28), catalogue=catalogue)
    cases = []
    for raw in data["cases"]:
        rules = raw["rules"] if "rules" in raw else {"C": raw["rule"]}
        as_of = raw.get("as_of")
        cases.append(Case(raw["name"], {k: v.strip() for k, v in rules.items()},
                          _patients(raw["patients"], rules), raw.get("kind", "inclusion"),
                          raw.get("about", "").strip(),
                          dt.date.fromisoformat(as_of) if as_of else None))
    return Spec(path, data["title"], data.get("about", "").strip(), context, described,
                tuple(cases))


def all_specs() -> list[Spec]:
    return [load_spec(path) for path in sorted(CASES.glob("*.yaml"))]


@dataclass(frozen=True)
class Engine:
    """One engine under test: ``run`` gives patient_id → criterion id → status (+ verdict)."""

    name: str

    def run(self, compiled: CompiledCriteria, patients: Sequence[PatientRecord], *,
            as_of: dt.date | None = None) -> dict[str, dict[str, str]]:
        if self.name == "memory":
            results = {}
            for record in patients:
                result = screen(compiled, record, as_of=as_of)
                results[record.patient_id] = {**result.statuses(), "verdict": result.verdict}
            return results
        from trialkit.prescreen import evaluate_records

        return evaluate_records(compiled, list(patients), as_of=as_of, backend=self.name)

    def statuses(self, compiled: CompiledCriteria, patients: Sequence[PatientRecord],
                 **kwargs: Any) -> dict[str, str]:
        """patient_id → status of the single criterion ``C``."""
        return {pid: row["C"] for pid, row in self.run(compiled, patients, **kwargs).items()}


def expected(case: Case) -> dict[str, dict[str, str]]:
    """patient → what the case states (statuses, and the verdict where given)."""
    out: dict[str, dict[str, str]] = {}
    for patient in case.patients:
        out[patient.id] = dict(patient.expect)
        if patient.verdict is not None:
            out[patient.id]["verdict"] = patient.verdict
    return out


def got(engine: Engine, spec: Spec, case: Case) -> dict[str, dict[str, str]]:
    """What the engine gives, restricted to what the case states."""
    records = [spec.record_of(p) for p in case.patients]
    results = engine.run(spec.compiled(case), records, as_of=case.as_of)
    wanted = expected(case)
    return {pid: {k: results[pid][k] for k in keys} for pid, keys in wanted.items()}


def batch_skip_reason(name: str) -> str | None:
    """Why the batch engine ``name`` cannot run here, or None if it can."""
    if name == "memory":
        return None
    if name == "postgres":
        from trialkit.prescreen.backends import postgres_unavailable_reason

        reason = postgres_unavailable_reason()
        return None if reason is None else (
            f"{reason} (set TRIALKIT_PRESCREEN_POSTGRES to a reachable database)")
    if name == "spark":
        if importlib.util.find_spec("pyspark") is None:
            return "PySpark is not installed"
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            return "no Java runtime for PySpark"
    return None


def compiled_of(criteria: Mapping[str, n.Cond], context: RuleContext | None = None,
                kind: str = "inclusion") -> CompiledCriteria:
    """Compiled criteria from nodes built by hand (generative tests)."""
    return CompiledCriteria("SPEC", "0", tuple(
        CompiledCriterion(cid, kind, node)  # type: ignore[arg-type]
        for cid, node in criteria.items()), 28, context)
