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
from trialkit.core.scheduling.checks import (
    Check,
    Verdict,
    check_that,
    gettext_noop,
    named,
    worded,
)


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
    name = worded(gettext_noop("sequential enrolment in %(part)s"), part=_n(names, rule.part))
    position = len(earlier) + 1
    if not earlier:
        return named(name, (check_that(
            "sequential.first", True,
            gettext_noop("Participant %(position)s is the first of %(part)s; there is no "
                         "previous participant to wait for."),
            position=position, part=_n(names, rule.part)),))
    previous = earlier[-1]
    checks = [_received(previous, adm, on, names) for adm in rule.previous_must_have_received]
    checks.append(_waited(rule, previous, on, names))
    if rule.no_open_serious_adverse_event:
        count = previous.open_serious_adverse_events
        if count < 0:
            raise ValueError("open_serious_adverse_events: must not be negative")
        checks.append(check_that(
            "sequential.no_open_sae", count == 0,
            gettext_noop("Previous participant %(participant)s has %(count)s open serious "
                         "adverse event(s); none may be open."),
            participant=previous.participant_id, count=count))
    return named(name, checks)


def _received(previous: ParticipantDosing, administration: str, on: date,
              names: Mapping[str, str]) -> Check:
    given = previous.given_by(administration, on)
    check_id = f"sequential.received.{administration}"
    if given is None:
        return check_that(check_id, False, gettext_noop(
            "Previous participant %(participant)s has not yet received the %(administration)s."),
            participant=previous.participant_id, administration=_n(names, administration))
    return check_that(check_id, True, gettext_noop(
        "Previous participant %(participant)s received the %(administration)s on %(date)s."),
        participant=previous.participant_id, administration=_n(names, administration),
        date=given)


def _waited(rule: SequentialEnrolment, previous: ParticipantDosing, on: date,
            names: Mapping[str, str]) -> Check:
    if not rule.previous_must_have_received:
        return check_that("sequential.wait_days", True, gettext_noop(
            "The rule lists no administration of the previous participant to wait for."))
    dates = [previous.given_by(adm, on) for adm in rule.previous_must_have_received]
    known = [d for d in dates if d is not None]
    if len(known) < len(dates):
        listed = ", ".join(_n(names, a) for a in rule.previous_must_have_received)
        return check_that("sequential.wait_days", False, gettext_noop(
            "The %(days)s-day wait starts only once the previous participant has received "
            "every listed administration (%(administrations)s)."),
            days=rule.wait_days, administrations=listed)
    earliest = max(known) + timedelta(days=rule.wait_days)
    return check_that("sequential.wait_days", on >= earliest, gettext_noop(
        "%(days)s days must pass after the previous participant's last listed administration "
        "(%(last)s): the earliest date is %(earliest)s."),
        days=rule.wait_days, last=max(known), earliest=earliest)


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
        check_that("committee.enrolled", len(reviewed) >= required_participants, gettext_noop(
            "%(enrolled)s of %(required)s participants of %(part)s are enrolled; all are "
            "required."), enrolled=len(reviewed), required=required_participants,
            part=_n(names, gate.reviews_part)),
        _administered_to_all(gate, reviewed, on, names),
        _days_elapsed(gate, reviewed, cleared_on, on, names),
    ]
    checks.extend(_decision_checks(gate, decisions, cleared_on, on, names))
    return named(worded(gettext_noop("%(committee)s gate opening %(part)s"),
                        committee=gate.committee, part=_n(names, gate.opens_part)), checks)


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
        return check_that("committee.administered", False, gettext_noop(
            "No participant of %(part)s has received the %(administration)s."),
            part=part, administration=given)
    if missing:
        return check_that("committee.administered", False, gettext_noop(
            "Not yet given the %(administration)s: %(participants)s."),
            administration=given, participants=", ".join(missing))
    return check_that("committee.administered", True, gettext_noop(
        "Every participant of %(part)s has received the %(administration)s."),
        part=part, administration=given)


def _days_elapsed(gate: CommitteeGate, reviewed: Sequence[ParticipantDosing],
                  cleared_on: date | None, on: date, names: Mapping[str, str]) -> Check:
    days, given = gate.days_after_administration, _n(names, gate.after_administration)
    if cleared_on is None:
        return check_that("committee.days_elapsed", False, gettext_noop(
            "Every participant must be %(days)s days past the %(administration)s; not every "
            "participant has received it."), days=days, administration=given)
    waiting = [p.participant_id for p in reviewed
               if on < _after(p.given_by(gate.after_administration, on), days)]
    if waiting:
        return check_that("committee.days_elapsed", False, gettext_noop(
            "Every participant must be %(days)s days past the %(administration)s; the last "
            "reaches it on %(date)s. Still waiting: %(participants)s."),
            days=days, administration=given, date=cleared_on, participants=", ".join(waiting))
    return check_that("committee.days_elapsed", True, gettext_noop(
        "Every participant must be %(days)s days past the %(administration)s; the last reaches "
        "it on %(date)s."), days=days, administration=given, date=cleared_on)


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
    opening = ", ".join(gate.opening_decisions)
    if valid:
        latest = valid[-1]
        met = latest.decision in gate.opening_decisions
        values = {"signer": signer, "decision": latest.decision, "date": latest.signed_on,
                  "opening": opening, "part": _n(names, gate.opens_part)}
        if ignored:
            decision = check_that("committee.decision", met, gettext_noop(
                "The latest e-signed decision by the %(signer)s is '%(decision)s' of %(date)s "
                "(%(ignored)s decision(s) ignored: unsigned or not by the %(signer)s); "
                "%(opening)s open %(part)s."), ignored=ignored, **values)
        else:
            decision = check_that("committee.decision", met, gettext_noop(
                "The latest e-signed decision by the %(signer)s is '%(decision)s' of %(date)s; "
                "%(opening)s open %(part)s."), **values)
    elif ignored:
        decision = check_that("committee.decision", False, gettext_noop(
            "No e-signed decision by the %(signer)s yet (%(ignored)s decision(s) ignored: "
            "unsigned or not by the %(signer)s); one of %(opening)s is required."),
            signer=signer, ignored=ignored, opening=opening)
    else:
        decision = check_that("committee.decision", False, gettext_noop(
            "No e-signed decision by the %(signer)s yet; one of %(opening)s is required."),
            signer=signer, opening=opening)
    return [decision, _timing(gate, valid, cleared_on)]


def _timing(gate: CommitteeGate, valid: list[CommitteeDecision], cleared_on: date | None) -> Check:
    # A proceed signed before every participant reached the safety timepoint reviewed
    # incomplete data, so only an opening decision from the end of the review period counts.
    openings = [d for d in valid if d.decision in gate.opening_decisions]
    timely = bool(openings) and cleared_on is not None and openings[-1].signed_on >= cleared_on
    if cleared_on is None:
        return check_that("committee.decision_after_review", timely, gettext_noop(
            "The latest opening decision must be signed on or after the end of the review "
            "period (not yet reached)."))
    return check_that("committee.decision_after_review", timely, gettext_noop(
        "The latest opening decision must be signed on or after the end of the review period "
        "(%(date)s)."), date=cleared_on)


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
    name = worded(gettext_noop("%(committee)s pause"), committee=gate.committee)
    if not gate.can_pause_any_time:
        return named(name, (check_that("pause", True, gettext_noop(
            "%(committee)s cannot pause the trial outside its gate."),
            committee=gate.committee),))
    latest = latest_valid_decision(gate, decisions, on)
    if latest is not None and latest.decision in gate.pause_decisions:
        return named(name, (check_that("pause", False, gettext_noop(
            "Enrolment and dosing are paused by %(committee)s's '%(decision)s' of %(date)s "
            "until a later e-signed decision resumes them."),
            committee=gate.committee, decision=latest.decision, date=latest.signed_on),))
    return named(name, (check_that("pause", True, gettext_noop(
        "%(committee)s has not paused the trial."), committee=gate.committee),))


def enrolment_cap(part: Part, enrolled: int) -> Verdict:
    """May one more participant enrol in ``part``, given ``enrolled`` already are?"""
    if enrolled < 0:
        raise ValueError("enrolled: must not be negative")
    fits = enrolled < part.enrolment_target
    values = {"enrolled": enrolled, "target": part.enrolment_target, "part": part.name,
              "next": enrolled + 1}
    if fits:
        cap = check_that("cap", True, gettext_noop(
            "%(enrolled)s of %(target)s participants of %(part)s are enrolled; participant "
            "%(next)s fits."), **values)
    else:
        cap = check_that("cap", False, gettext_noop(
            "%(enrolled)s of %(target)s participants of %(part)s are enrolled; participant "
            "%(next)s would exceed the target."), **values)
    return named(worded(gettext_noop("enrolment cap of %(part)s"), part=part.name), (cap,))
