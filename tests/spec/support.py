"""Running criteria on patients with any engine, and building patients tersely for tables."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.compile import CompiledCriteria, CompiledCriterion, screen
from trialkit.core.eligibility.record import PatientRecord, parse_record

INDEX = "2026-11-20"
BASE: dict[str, Any] = {"sex": "female", "birth_date": "1980-06-15", "index_date": INDEX}


def patient(pid: str, **fields: Any) -> PatientRecord:
    """A valid record: index 2026-11-20, born 1980-06-15, female, plus the given fields."""
    data = {**BASE, "patient_id": pid, **fields}
    return parse_record({k: v for k, v in data.items() if v is not None})


def compiled(criteria: Mapping[str, n.Cond], kind: str = "inclusion") -> CompiledCriteria:
    return CompiledCriteria("SPEC", "0", tuple(CompiledCriterion(cid, kind, node)  # type: ignore[arg-type]
                                               for cid, node in criteria.items()))


@dataclass(frozen=True)
class Engine:
    """One engine under test: ``run`` gives patient_id → criterion id → status (+ verdict)."""

    name: str

    def run(self, criteria: Mapping[str, n.Cond], patients: Sequence[PatientRecord], *,
            as_of: dt.date | None = None, kind: str = "inclusion") -> dict[str, dict[str, str]]:
        program = compiled(criteria, kind)
        if self.name == "memory":
            results = {}
            for record in patients:
                result = screen(program, record, as_of=as_of)
                results[record.patient_id] = {**result.statuses(), "verdict": result.verdict}
            return results
        from trialkit.prescreen import evaluate_records

        return evaluate_records(program, list(patients), as_of=as_of, backend=self.name)

    def statuses(self, cond: n.Cond, patients: Sequence[PatientRecord],
                 **kwargs: Any) -> dict[str, str]:
        """patient_id → status of one condition."""
        results = self.run({"C": cond}, patients, **kwargs)
        return {pid: row["C"] for pid, row in results.items()}


def check_table(engine: Engine, cond: n.Cond, table: Sequence[tuple[PatientRecord, str]],
                **kwargs: Any) -> None:
    """Every patient of the table gets its expected status (all mismatches reported at once)."""
    got = engine.statuses(cond, [record for record, _ in table], **kwargs)
    expected = {record.patient_id: status for record, status in table}
    assert got == expected


def batch_skip_reason(name: str) -> str | None:
    """Why the batch engine ``name`` cannot run here, or None if it can."""
    if name == "memory":
        return None
    try:
        import trialkit.prescreen as prescreen
    except ImportError as exc:
        return f"batch engine not importable yet: {exc}"
    if not hasattr(prescreen, "evaluate_records"):
        return "trialkit.prescreen.evaluate_records does not exist yet"
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
