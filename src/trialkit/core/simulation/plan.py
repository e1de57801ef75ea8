"""What the simulation reads from the protocol: parts in the order they open, their gates,
the administrations with their windows, the scheduled visits and which of them rate the
disability score or read a scan (from the forms they collect and where those forms' items go
in the patient record), the control arm, and the stratum of a candidate.

Nothing here names a trial: every fact comes from the protocol and the scenario file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.protocol.gates import CommitteeGate, SequentialEnrolment, Stratum
from trialkit.core.protocol.model import Protocol
from trialkit.core.simulation.scenario_file import ScenarioFile

ACTIVE_ARM_TYPES = ("EXPERIMENTAL", "ACTIVE_COMPARATOR")
"""Arms whose preparation holds the product (the others receive placebo, sham or nothing)."""


@dataclass(frozen=True)
class Dose:
    id: str
    day: int
    before: int
    after: int
    route: str
    procedure: dict[str, str]
    """Arm id → ``real``, ``sham`` or ``none``."""
    active: frozenset[str]
    """Arms that receive the product at this administration."""


@dataclass(frozen=True)
class VisitPlan:
    id: str
    day: int
    before: int
    after: int
    rates_disability: bool
    reads_scan: bool


@dataclass(frozen=True)
class PartPlan:
    id: str
    target: int
    arms: tuple[str, ...]
    randomized: bool
    sequential: SequentialEnrolment | None
    gate: CommitteeGate | None
    """The committee gate that opens this part, if any."""


@dataclass(frozen=True)
class TrialPlan:
    protocol: Protocol
    parts: tuple[PartPlan, ...]
    doses: tuple[Dose, ...]
    visits: tuple[VisitPlan, ...]
    """Scheduled visits from day 0 on, in schedule order."""
    experimental: str
    control: str
    safety_day: int
    """Study day of the committee's safety timepoint (each participant is reviewed then)."""

    @property
    def randomized_part(self) -> PartPlan:
        return next(part for part in self.parts if part.randomized)

    @property
    def last_day(self) -> int:
        return max(visit.day + visit.after for visit in self.visits)

    def dose(self, dose_id: str) -> Dose:
        return next(dose for dose in self.doses if dose.id == dose_id)


def plan_for(protocol: Protocol, file: ScenarioFile) -> TrialPlan:
    randomization = protocol.randomization
    assert randomization is not None  # checked by scenario.check_against
    part = protocol.part(randomization.part)
    others = [arm for arm in part.arms if arm != file.effects.arm]
    comparators = [arm for arm in others if protocol.arm(arm).type not in ACTIVE_ARM_TYPES]
    visits = _visits(protocol, file)
    return TrialPlan(protocol, _parts(protocol), _doses(protocol), visits, file.effects.arm,
                     (comparators or others)[0], _safety_day(protocol))


def _parts(protocol: Protocol) -> tuple[PartPlan, ...]:
    sequential = {rule.part: rule for rule in protocol.gates.sequential_enrolment}
    opened_by = {gate.opens_part: gate for gate in protocol.gates.committee}
    randomized = protocol.randomization.part if protocol.randomization else None
    return tuple(PartPlan(p.id, p.enrolment_target, p.arms, p.id == randomized,
                          sequential.get(p.id), opened_by.get(p.id))
                 for p in protocol.design.parts)


def _doses(protocol: Protocol) -> tuple[Dose, ...]:
    doses = []
    for adm in protocol.design.administrations:
        visit = protocol.visit(adm.visit)
        active = frozenset(arm for arm, content in adm.by_arm.items()
                           if content.procedure == "real"
                           and protocol.arm(arm).type in ACTIVE_ARM_TYPES)
        doses.append(Dose(adm.id, visit.day or 0, visit.window.before, visit.window.after,
                          adm.route, {arm: c.procedure for arm, c in adm.by_arm.items()},
                          active))
    return tuple(doses)


def _visits(protocol: Protocol, file: ScenarioFile) -> tuple[VisitPlan, ...]:
    disability = _forms_feeding(protocol, {file.record.disability})
    scans = _forms_feeding(protocol, {file.record.enhancing_lesions, file.record.new_lesions})
    return tuple(VisitPlan(v.id, v.day, v.window.before, v.window.after,
                           bool(disability & set(v.forms)), bool(scans & set(v.forms)))
                 for v in protocol.schedule.visits if v.day is not None and v.day >= 0)


def _forms_feeding(protocol: Protocol, targets: set[str]) -> set[str]:
    """Forms with an item that feeds one of these ``table.column`` record fields."""
    return {form.id for form in protocol.forms for item in form.items
            if item.maps_to is not None and item.maps_to.to in targets}


def _safety_day(protocol: Protocol) -> int:
    timepoint = protocol.schedule.safety_timepoint
    if timepoint is not None:
        return protocol.visit(timepoint).day or 0
    gates = protocol.gates.committee
    if gates:
        adm = protocol.administration(gates[0].after_administration)
        return (protocol.visit(adm.visit).day or 0) + gates[0].days_after_administration
    return 0


def stratum_reader(protocol: Protocol, stratum: Stratum) -> Callable[[PatientRecord], str | None]:
    """How to read a candidate's level of a stratification factor from their record: the
    factor's form item feeds a record column; the level is the code whose concept (or
    translated code) the latest row of that table carries."""
    item = next(i for i in protocol.form(stratum.form).items if i.id == stratum.item)
    mapping = item.maps_to
    if mapping is None or item.codelist is None:
        raise ValueError(f"stratum '{stratum.id}': item {stratum.form}.{stratum.item} feeds no "
                         "record column, so a candidate's level cannot be known")
    codelist = protocol.codelist(item.codelist)
    to_level = {(mapping.codes.get(c.code) or c.concept): c.code for c in codelist.items}
    table = protocol.record_schema().table(mapping.table)
    date = table.date

    def level(record: PatientRecord) -> str | None:
        rows = sorted((row for row in record.rows(mapping.table)
                       if to_level.get(row.get(mapping.column)) in stratum.levels),
                      key=lambda row: row[date])
        return to_level[rows[-1][mapping.column]] if rows else None
    return level
