"""Visit windows and statuses, deviations, and the gates that hold enrolment back."""

from trialkit.core.scheduling.checks import Check, Verdict, combine
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
    "Check", "CommitteeDecision", "ParticipantDosing", "PlannedVisit", "ProtocolDeviation",
    "Verdict", "VisitStatus", "combine", "committee_gate", "enrolment_cap",
    "latest_valid_decision", "may_dose", "may_enrol", "may_randomize", "names_of", "pause_state",
    "plan_visit", "plan_visits", "sequential_enrolment", "statuses_on", "window_deviation",
]
