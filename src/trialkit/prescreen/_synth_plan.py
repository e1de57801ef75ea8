"""What the synthetic generator writes for one protocol, read from the protocol itself.

The generator models a disease course (events, scans with lesion-like counts, a disability
score); which OMOP concepts carry them comes from the protocol's declared tables, recognised
by their shape, never by name: a table with only a date is an event log, a table with count
columns is a scan with counts, a number column on a scale is a score. Attestations are the
keys the criteria read; how often each is answered "yes" follows from how the criteria use
it (``core.simulation.attestations``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trialkit.core.protocol.record import ColumnDef, OmopSource, TableDef
from trialkit.core.simulation.attestations import attestation_answers
from trialkit.core.simulation.cohort import CohortSpec
from trialkit.core.simulation.cohort_base import Scale
from trialkit.prescreen.omop_concepts import LOCAL_VOCABULARY, Concepts, Row

if TYPE_CHECKING:
    from trialkit.core.eligibility.compile import CompiledCriteria
    from trialkit.core.protocol.model import Protocol

DOMAINS = {"observation": "Observation", "measurement": "Measurement",
           "procedure_occurrence": "Procedure", "condition_occurrence": "Condition"}


@dataclass(frozen=True)
class SynthPlan:
    concepts: Concepts
    events: tuple[OmopSource, ...] = ()
    scans: tuple[OmopSource, ...] = ()
    counts: tuple[OmopSource, ...] = ()
    score: OmopSource | None = None
    scale: Scale | None = None
    attestations: tuple[tuple[str, float, float], ...] = ()
    """(key, probability answered, probability yes)."""

    def spec(self) -> CohortSpec:
        """What the cohort generator must draw for these declarations."""
        return CohortSpec(events=bool(self.events), scans=bool(self.scans),
                          counts=len(self.counts), scale=self.scale,
                          attestations=self.attestations)


def plan_for(protocol: Protocol, compiled: CompiledCriteria) -> SynthPlan:
    tables = [t for t in protocol.record.tables if t.omop is not None]
    events = next((t for t in tables if _values(t) == [] and t.omop and t.omop.rows_from), None)
    scans = next((t for t in tables if _of_type(t, "count")), None)
    scored = next((t for t in tables if _of_type(t, "number")), None)
    attestations = attestation_answers(compiled)
    score_column = _of_type(scored, "number")[0] if scored is not None else None
    local = [row for t in tables for row in _concept_rows(t)]
    local += [(f"attestation: {key}", "Observation", LOCAL_VOCABULARY, "Clinical Observation",
               key) for key, _, _ in attestations]
    return SynthPlan(
        Concepts(local),
        events=events.omop.rows_from if events is not None and events.omop else (),
        scans=scans.omop.rows_from if scans is not None and scans.omop else (),
        counts=tuple(scans.omop.columns[c.id] for c in _of_type(scans, "count"))
        if scans is not None and scans.omop else (),
        score=(scored.omop.columns[score_column.id]
               if scored is not None and scored.omop and score_column else None),
        scale=_scale(score_column) if score_column is not None else None,
        attestations=attestations)


def _values(table: TableDef) -> list[ColumnDef]:
    return [c for c in table.columns if c.id != table.date]


def _of_type(table: TableDef | None, kind: str) -> list[ColumnDef]:
    """Columns of ``kind`` the table's OMOP declaration fills."""
    if table is None or table.omop is None:
        return []
    return [c for c in table.columns if c.type == kind and c.id in table.omop.columns]


def _scale(column: ColumnDef) -> Scale:
    allowed = tuple(sorted(float(v) for v in column.allowed))
    low = allowed[0] if allowed else float(column.minimum or 0.0)
    high = allowed[-1] if allowed else float(column.maximum or 10.0)
    return Scale(low, high, allowed)


def _concept_rows(table: TableDef) -> list[Row]:
    assert table.omop is not None
    sources = [(table.noun, s) for s in table.omop.rows_from]
    sources += [(f"{table.noun}: {column.replace('_', ' ')}", s)
                for column, s in table.omop.columns.items()]
    return [(name, DOMAINS[s.table], s.vocabulary, "Clinical Observation", s.code)
            for name, s in sources]
