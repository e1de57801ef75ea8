"""The protocol's gates, evaluated from plain facts into explainable verdicts.

- **Sequential enrolment**: participant N of a sequential part may receive the gated
  administration on date D only if participant N−1 has received every listed administration
  (on or before D), D is at least ``wait_days`` after the last of them, and (if the rule says so)
  participant N−1 has no open serious adverse event.
- **Committee gate**: the opened part may randomize on D only if the reviewed part is fully
  enrolled, every reviewed participant received the gating administration at least
  ``days_after_administration`` days before D, and the committee's latest valid decision is an
  opening one signed on or after the day that time condition was first met.
- **Pause**: the committee's latest valid decision, if it is a pause decision, blocks
  enrolment and dosing until a later valid non-pause decision resumes them.
- **Cap**: a part enrols no more than its enrolment target.

A decision is *valid* when it is e-signed, signed by the gate's ``signer_role`` and signed on
or before D (UTC calendar date). Every other decision is ignored, and the verdict says so.
Facts dated after D are treated as unknown on D, so a past verdict can be replayed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from trialkit.core.protocol.design import Part
from trialkit.core.protocol.gates import CommitteeGate, SequentialEnrolment
from trialkit.core.scheduling.checks import Check, Verdict


@dataclass(frozen=True)
class ParticipantDosing:
    """What is known of one participant: administrations received, open serious AEs."""

    participant_id: str
    administered: Mapping[str, date] = field(default_factory=dict)
    """Administration id → date given."""
    open_serious_adverse_events: int = 0

    def given_by(self, administration: str, on: date) -> date | None:
        given = self.administered.get(administration)
        return given if given is not None and given <= on else None


@dataclass(frozen=True)
class CommitteeDecision:
    committee: str
    """The committee's name exactly as in the protocol's gate."""
    decision: str
    signed_by_role: str
    signed_at: datetime
    """Timezone-aware; its UTC calendar date is the decision date."""
    e_signed: bool

    @property
    def signed_on(self) -> date:
        return self.signed_at.astimezone(UTC).date()


def sequential_enrolment(rule: SequentialEnrolment, earlier: Sequence[ParticipantDosing],
                         on: date, names: Mapping[str, str] | None = None) -> Verdict:
    """May the next participant of ``rule.part`` (after ``earlier``, in order) dose on ``on``?"""
    names = names or {}
    name = f"sequential enrolment in {_n(names, rule.part)}"
    position = len(earlier) + 1
    if not earlier:
        first = (f"Participant {position} is the first of {_n(names, rule.part)}; "
                 "there is no previous participant to wait for.")
        return Verdict(name, (Check("sequential.first", True, first),))
    previous = earlier[-1]
    checks = [_received(previous, adm, on, names) for adm in rule.previous_must_have_received]
    checks.append(_waited(rule, previous, on, names))
    if rule.no_open_serious_adverse_event:
        count = previous.open_serious_adverse_events
        if count < 0:
            raise ValueError("open_serious_adverse_events: must not be negative")
        checks.append(Check("sequential.no_open_sae", count == 0,
                            f"Previous participant {previous.participant_id} has {count} open "
                            "serious adverse event(s); none may be open."))
    return Verdict(name, tuple(checks))


def _received(previous: ParticipantDosing, administration: str, on: date,
              names: Mapping[str, str]) -> Check:
    given = previous.given_by(administration, on)
    who = f"Previous participant {previous.participant_id}"
    if given is None:
        return Check(f"sequential.received.{administration}", False,
                     f"{who} has not yet received {_n(names, administration)}.")
    return Check(f"sequential.received.{administration}", True,
                 f"{who} received {_n(names, administration)} on {given.isoformat()}.")


def _waited(rule: SequentialEnrolment, previous: ParticipantDosing, on: date,
            names: Mapping[str, str]) -> Check:
    if not rule.previous_must_have_received:
        return Check("sequential.wait_days", True,
                     "The rule lists no administration of the previous participant to wait for.")
    dates = [previous.given_by(adm, on) for adm in rule.previous_must_have_received]
    known = [d for d in dates if d is not None]
    if len(known) < len(dates):
        listed = " and ".join(_n(names, a) for a in rule.previous_must_have_received)
        return Check("sequential.wait_days", False,
                     f"The {rule.wait_days}-day wait starts only once the previous participant "
                     f"has received {listed}.")
    earliest = max(known) + timedelta(days=rule.wait_days)
    return Check("sequential.wait_days", on >= earliest,
                 f"{rule.wait_days} days must pass after the previous participant's last listed "
                 f"administration ({max(known).isoformat()}): the earliest date is "
                 f"{earliest.isoformat()}.")


def committee_gate(gate: CommitteeGate, reviewed: Sequence[ParticipantDosing],
                   required_participants: int, decisions: Sequence[CommitteeDecision],
                   on: date, names: Mapping[str, str] | None = None) -> Verdict:
    """Is ``gate.opens_part`` open for randomization on ``on``?

    ``names`` maps part and administration ids to the protocol's names for the sentences.
    """
    names = names or {}
    if required_participants < 1:
        raise ValueError("required_participants: must be at least 1")
    cleared_on = _time_condition_met_on(gate, reviewed, on)
    checks = [
        Check("committee.enrolled", len(reviewed) >= required_participants,
              f"{len(reviewed)} of {required_participants} participants of "
              f"{_n(names, gate.reviews_part)} "
              "are enrolled; all are required."),
        _administered_to_all(gate, reviewed, on, names),
        _days_elapsed(gate, reviewed, cleared_on, on, names),
    ]
    checks.extend(_decision_checks(gate, decisions, cleared_on, on, names))
    return Verdict(f"{gate.committee} gate opening {_n(names, gate.opens_part)}", tuple(checks))


def _time_condition_met_on(gate: CommitteeGate, reviewed: Sequence[ParticipantDosing],
                           on: date) -> date | None:
    dates = [p.given_by(gate.after_administration, on) for p in reviewed]
    if not dates or any(d is None for d in dates):
        return None
    return max(d for d in dates if d is not None) + timedelta(days=gate.days_after_administration)


def _administered_to_all(gate: CommitteeGate, reviewed: Sequence[ParticipantDosing],
                         on: date, names: Mapping[str, str]) -> Check:
    part, given = _n(names, gate.reviews_part), _n(names, gate.after_administration)
    missing = [p.participant_id for p in reviewed
               if p.given_by(gate.after_administration, on) is None]
    if not reviewed:
        return Check("committee.administered", False,
                     f"No participant of {part} has received {given}.")
    if missing:
        return Check("committee.administered", False,
                     f"Not yet given {given}: {', '.join(missing)}.")
    return Check("committee.administered", True,
                 f"Every participant of {part} has received {given}.")


def _days_elapsed(gate: CommitteeGate, reviewed: Sequence[ParticipantDosing],
                  cleared_on: date | None, on: date, names: Mapping[str, str]) -> Check:
    days, given = gate.days_after_administration, _n(names, gate.after_administration)
    if cleared_on is None:
        return Check("committee.days_elapsed", False,
                     f"Every participant must be {days} days past {given}; "
                     "not every participant has received it.")
    waiting = [p.participant_id for p in reviewed
               if on < _after(p.given_by(gate.after_administration, on), days)]
    sentence = (f"Every participant must be {days} days past {given}; "
                f"the last reaches it on {cleared_on.isoformat()}.")
    if waiting:
        sentence += f" Still waiting: {', '.join(waiting)}."
    return Check("committee.days_elapsed", not waiting, sentence)


def _n(names: Mapping[str, str], key: str) -> str:
    """The protocol's name for an id (ids such as ``it`` read badly in a sentence)."""
    return names.get(key, key)


def _after(given: date | None, days: int) -> date:
    if given is None:  # pragma: no cover - callers pass only participants who received it
        raise ValueError("administration date is missing")
    return given + timedelta(days=days)


def _decision_checks(gate: CommitteeGate, decisions: Sequence[CommitteeDecision],
                     cleared_on: date | None, on: date,
                     names: Mapping[str, str]) -> list[Check]:
    valid, ignored = valid_decisions(gate, decisions, on)
    signer = _n(names, gate.signer_role)
    note = f" ({ignored} decision(s) ignored: unsigned or not by the {signer})" \
        if ignored else ""
    opening = ", ".join(gate.opening_decisions)
    if valid:
        latest = valid[-1]
        decision = Check("committee.decision", latest.decision in gate.opening_decisions,
                         f"The latest e-signed decision by the {signer} is "
                         f"'{latest.decision}' of {latest.signed_on.isoformat()}{note}; "
                         f"{opening} open {_n(names, gate.opens_part)}.")
    else:
        decision = Check("committee.decision", False,
                         f"No e-signed decision by the {signer} yet{note}; "
                         f"one of {opening} is required.")
    return [decision, _timing(gate, valid, cleared_on)]


def _timing(gate: CommitteeGate, valid: list[CommitteeDecision], cleared_on: date | None) -> Check:
    # A proceed signed before every participant reached the safety timepoint reviewed
    # incomplete data, so only an opening decision from the end of the review period counts.
    openings = [d for d in valid if d.decision in gate.opening_decisions]
    review_end = cleared_on.isoformat() if cleared_on else "not yet reached"
    timely = bool(openings) and cleared_on is not None and openings[-1].signed_on >= cleared_on
    return Check("committee.decision_after_review", timely,
                 f"The latest opening decision must be signed on or after the end of the review "
                 f"period ({review_end}).")


def valid_decisions(gate: CommitteeGate, decisions: Sequence[CommitteeDecision],
                    on: date) -> tuple[list[CommitteeDecision], int]:
    """The committee's valid decisions by ``on``, oldest first, and how many were ignored."""
    mine = [d for d in decisions if d.committee == gate.committee]
    for index, d in enumerate(decisions):
        if d.committee != gate.committee:
            continue
        if d.decision not in gate.decisions:
            raise ValueError(f"decisions[{index}].decision: '{d.decision}' is not one of "
                             f"{', '.join(gate.decisions)}")
        if d.signed_at.tzinfo is None:
            raise ValueError(f"decisions[{index}].signed_at: must be timezone-aware")
    dated = [d for d in mine if d.signed_on <= on]
    valid = [d for d in dated if d.e_signed and d.signed_by_role == gate.signer_role]
    return sorted(valid, key=lambda d: d.signed_at), len(dated) - len(valid)


def latest_valid_decision(gate: CommitteeGate, decisions: Sequence[CommitteeDecision],
                          on: date) -> CommitteeDecision | None:
    """The committee's latest valid decision on ``on``, if any."""
    valid, _ = valid_decisions(gate, decisions, on)
    return valid[-1] if valid else None


def pause_state(gate: CommitteeGate, decisions: Sequence[CommitteeDecision], on: date) -> Verdict:
    """Blocked while the committee's latest valid decision is a pause decision."""
    name = f"{gate.committee} pause"
    if not gate.can_pause_any_time:
        return Verdict(name, (Check("pause", True,
                                    f"{gate.committee} cannot pause the trial outside its gate."),))
    latest = latest_valid_decision(gate, decisions, on)
    if latest is not None and latest.decision in gate.pause_decisions:
        return Verdict(name, (Check("pause", False,
                                    f"Enrolment and dosing are paused by {gate.committee}'s "
                                    f"'{latest.decision}' of {latest.signed_on.isoformat()} "
                                    "until a later e-signed decision resumes them."),))
    return Verdict(name, (Check("pause", True, f"{gate.committee} has not paused the trial."),))


def enrolment_cap(part: Part, enrolled: int) -> Verdict:
    """May one more participant enrol in ``part``, given ``enrolled`` already are?"""
    if enrolled < 0:
        raise ValueError("enrolled: must not be negative")
    fits = enrolled < part.enrolment_target
    outcome = "fits" if fits else "would exceed the target"
    return Verdict(f"enrolment cap of {part.id}", (
        Check("cap", fits,
              f"{enrolled} of {part.enrolment_target} participants of {part.id} are enrolled; "
              f"participant {enrolled + 1} {outcome}."),))
