"""Visit windows and statuses, deviations, crossover periods, and the gates that hold
enrolment and dosing back."""

from trialkit.core.scheduling.checks import Check, Verdict, Wording, combine
from trialkit.core.scheduling.enrolment import may_dose, may_enrol, may_randomize, names_of
from trialkit.core.scheduling.gates import (
    CommitteeDecision,
    ParticipantDosing,
    committee_gate,
    enrolment_cap,
    latest_valid_decision,
    pause_state,
    sequential_enrolment,
)
from trialkit.core.scheduling.periods import (
    PeriodFacts,
    first_visit,
    next_period,
    period_checks,
    period_on,
    period_started_by,
    switch_opens,
)
from trialkit.core.scheduling.visits import (
    PlannedVisit,
    ProtocolDeviation,
    VisitStatus,
    plan_visit,
    plan_visits,
    statuses_on,
    window_deviation,
)

__all__ = [
    "Check", "CommitteeDecision", "ParticipantDosing", "PeriodFacts", "PlannedVisit",
    "ProtocolDeviation", "Verdict", "VisitStatus", "Wording", "combine", "committee_gate",
    "enrolment_cap", "first_visit", "latest_valid_decision", "may_dose", "may_enrol",
    "may_randomize", "names_of", "next_period", "pause_state", "period_checks", "period_on",
    "period_started_by", "plan_visit", "plan_visits", "sequential_enrolment", "statuses_on",
    "switch_opens", "window_deviation",
]
