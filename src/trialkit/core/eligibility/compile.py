"""From a protocol to executable criteria, and screening one record against them.

``compile_criteria`` parses every criterion's rule once; ``screen`` evaluates them for one
patient with the in-memory engine and forms the verdict: ``ineligible`` if an inclusion is
not met or an exclusion is met, ``eligible`` if every inclusion is met and every exclusion is
not met, otherwise ``incomplete`` with the data that would decide it. Missing data therefore
never makes a patient eligible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.dates import Dates
from trialkit.core.eligibility.in_memory import evaluate
from trialkit.core.eligibility.language import RuleContext
from trialkit.core.eligibility.outcome import Outcome
from trialkit.core.eligibility.record import PatientRecord, RecordError
from trialkit.core.eligibility.units import default_catalogue
from trialkit.core.protocol import Protocol, protocol_version
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.protocol.record import RecordSchema, base_schema
from trialkit.core.wording import Wording, gettext_noop

Kind = Literal["inclusion", "exclusion"]
Verdict = Literal["eligible", "ineligible", "incomplete"]


class CompiledCriterion(NamedTuple):
    id: str
    kind: Kind
    node: n.Cond | None
    """None: the criterion has no rule yet, so it is always ``unknown``."""


@dataclass(frozen=True, slots=True)
class CompiledCriteria:
    """A protocol's criteria as nodes, with what every engine needs to run them: the rule
    context (record schema, lab catalogue). Without a context: the base record and the
    packaged catalogue."""

    protocol_id: str
    protocol_version: str
    criteria: tuple[CompiledCriterion, ...]
    screening_days: int = 28
    context: RuleContext | None = None

    @property
    def schema(self) -> RecordSchema:
        return self.context.record_schema if self.context is not None else base_schema()

    @property
    def catalogue(self) -> LabCatalogue:
        return self.context.lab_catalogue if self.context is not None else default_catalogue()

    def attestation_keys(self) -> tuple[str, ...]:
        """Every attestation a criterion reads, in order of first use (what a database
        source must look up)."""
        keys: dict[str, None] = {}
        for criterion in self.criteria:
            for node in n.walk(criterion.node):
                if isinstance(node, n.Attested):
                    keys.setdefault(node.key)
        return tuple(keys)


def compile_criteria(protocol: Protocol) -> CompiledCriteria:
    """Parse every rule of the protocol (the loader has already checked that they parse)."""
    context = RuleContext.of(protocol)
    elig = protocol.eligibility
    compiled = []
    for criterion in elig.criteria:
        node = None
        if criterion.rule is not None and criterion.rule.strip():
            node = context.parse(criterion.rule)
        compiled.append(CompiledCriterion(criterion.id, criterion.kind, node))
    return CompiledCriteria(protocol.identity.id, protocol_version(protocol), tuple(compiled),
                            elig.screening_window_days, context)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    kind: Kind
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    patient_id: str
    protocol_id: str
    protocol_version: str
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    missing: tuple[str, ...] = field(default=())

    def statuses(self) -> dict[str, str]:
        return {c.id: c.outcome.status for c in self.criteria}

    def to_json(self) -> dict[str, Any]:
        """The screening result exactly as PATIENT-RECORD.md specifies it."""
        return {
            "patient_id": self.patient_id,
            "protocol": {"id": self.protocol_id, "version": self.protocol_version},
            "verdict": self.verdict,
            "criteria": [{"id": c.id, "kind": c.kind, "status": c.outcome.status,
                          "explanation": c.outcome.explanation,
                          "evidence": list(c.outcome.evidence)} for c in self.criteria],
            "missing": list(self.missing),
        }


def screening_dates(record: PatientRecord, as_of: dt.date | None) -> Dates:
    """Index, consent and observation dates of a record (``as_of`` fills an absent index)."""
    index = record.index_date or as_of
    if index is None:
        raise RecordError([("index_date", "missing: give index_date (or consent_date and "
                                          "--as-of) so windows have an end")], record.patient_id)
    consent = record.consent_date or index
    if record.observation_period is not None:
        start, end = record.observation_period
        return Dates(index, consent, record.birth_date, start, end)
    return Dates(index, consent, record.birth_date, None, max(index, consent))


def verdict(results: Sequence[CriterionResult]) -> Verdict:
    def decided(r: CriterionResult, bad: str) -> bool:
        return r.outcome.status == bad

    if any(decided(r, n.NOT_MET if r.kind == "inclusion" else n.MET) for r in results):
        return "ineligible"
    if all(decided(r, n.MET if r.kind == "inclusion" else n.NOT_MET) for r in results):
        return "eligible"
    return "incomplete"


def screen(compiled_or_protocol: CompiledCriteria | Protocol, record: PatientRecord, *,
           as_of: dt.date | None = None) -> ScreeningResult:
    """Screen one record; raise RecordError if it has no index date and no ``as_of``."""
    compiled = (compiled_or_protocol if isinstance(compiled_or_protocol, CompiledCriteria)
                else compile_criteria(compiled_or_protocol))
    dates = screening_dates(record, as_of)
    catalogue = compiled.catalogue
    results = tuple(CriterionResult(c.id, c.kind, _outcome(c, record, dates, catalogue))
                    for c in compiled.criteria)
    final = verdict(results)
    missing: tuple[str, ...] = ()
    if final == "incomplete":
        missing = tuple(f"{r.id}: {gap}" for r in results if r.outcome.status == n.UNKNOWN
                        for gap in r.outcome.missing)
    return ScreeningResult(record.patient_id, compiled.protocol_id, compiled.protocol_version,
                           final, results, missing)


def _outcome(criterion: CompiledCriterion, record: PatientRecord, dates: Dates,
             catalogue: LabCatalogue) -> Outcome:
    if criterion.node is None:
        return Outcome(n.UNKNOWN, Wording(gettext_noop(
            "This criterion has no executable rule yet; a person must judge it.")),
            gaps=(Wording(gettext_noop("a judgement by the investigator (no rule)")),))
    outcome = evaluate(criterion.node, record, dates, catalogue)
    if outcome.status == n.UNKNOWN and not outcome.gaps:
        gap = (gettext_noop("data to decide whether the criterion excludes the patient")
               if criterion.kind == "exclusion"
               else gettext_noop("data to decide whether the criterion includes the patient"))
        return Outcome(outcome.status, outcome.said, outcome.evidence, (Wording(gap),))
    return outcome
