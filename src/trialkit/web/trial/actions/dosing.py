"""Doses and visits: the sequential-enrolment rule, pauses, windows, and deviations.

Recording a dose needs ``record_administration``, except an administration that differs by
arm in how it is performed (a real procedure in one arm, a sham in another: ``differs_by_arm``):
recording it reveals the arm, so only a role that ``sees`` the procedure type and holds
``perform_procedure`` may record it.

A dose is refused when a gate refuses it (the previous participant of a sequential part has
not cleared, or the safety committee has paused the trial). A dose that *was* given against a
gate is still a fact the record must hold: an investigator (a role with the ``sign``
permission) may record it with ``override_reason``, which stores a ``dose_against_gate``
deviation listing every unmet check. A dose or visit outside its window is recorded and
produces a deviation; it is never refused for that.

Study day 0 is the date the protocol's ``design.day_zero`` administration was given, so that
dose re-plans every later visit from the actual date (as ``trialkit.core.scheduling`` defines).

A participant of a crossover part moves into a treatment period when a visit of that period is
recorded (the planned switch visit) or an administration of that period is given; the move is
stored (``Participant.period``, ``PeriodStart``) and audited as ``start_period``. A period's
administration is gated like any dose: refused before its period is reached (the dose at the
period's first visit, once its window has opened, is the switch itself) or inside the washout
after the previous period's last dose, unless an investigator overrides with a reason.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Administration as ProtocolAdministration
from trialkit.core.scheduling import (
    Check,
    PlannedVisit,
    may_dose,
    period_started_by,
    plan_visits,
    window_deviation,
)
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
    worded,
)
from trialkit.web.trial.actions.dose_forms import dose_facts, dose_forms, values_of_dose
from trialkit.web.trial.actions.forms import fill_with_facts
from trialkit.web.trial.actions.kernel import (
    RECORDS_STUDY_DATA,
    action,
    ensure_on_timeline,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.gate_facts import (
    committee_decisions,
    dosings_of,
    enrolled_in,
    period_facts,
    today,
)
from trialkit.web.trial.models import (
    Administration,
    Deviation,
    DeviationKind,
    Participant,
    PeriodStart,
    RandomizationSlot,
    ScheduledVisit,
)
from trialkit.web.trial.study import current_study
from trialkit.web.trial.wording import reasons_of


@action(AuditAction.RECORD_ADMINISTRATION, guards=RECORDS_STUDY_DATA, subject="participant",
        doing=_("recording a dose"))
def do_record_administration(participant: Participant, administration_id: str,
                             given_at: dt.datetime, kit_code: str = "", *, actor: Actor,
                             override_reason: str = "") -> Administration:
    protocol = actor.protocol()
    refusal = why_not_record(actor, _administration(protocol, administration_id))
    if refusal:
        raise NotPermittedError(refusal, field="administration_id")
    participant = _locked(participant, actor)
    if participant.status != Participant.Status.ENROLLED:
        raise StateConflictError(_("a participant who is %(status)s is not dosed"),
                                 status=participant.status)
    _check_administration(participant, protocol, administration_id, given_at)
    _check_kit(participant, kit_code)
    on = timezone.localdate(given_at)
    against_gate = _gate_reasons(participant, protocol, administration_id, on)
    if against_gate:
        _allow_override(actor, against_gate, override_reason)
    dose = Administration.objects.create(
        participant=participant, administration_id=administration_id, given_at=given_at,
        kit_code=kit_code, recorded_by=actor.user, override_reason=override_reason.strip())
    deviations = []
    if against_gate:
        deviations.append(_deviation(actor, participant, DeviationKind.DOSE_AGAINST_GATE, on,
                                     f"{administration_id} given although: "
                                     + " ".join(c.sentence for c in against_gate)
                                     + f" Override: {override_reason}",
                                     administration_id=administration_id))
    deviations += _after_dose(actor, participant, protocol, administration_id, on)
    record(actor, AuditAction.RECORD_ADMINISTRATION, dose,
           new={"participant": participant.screening_number, "administration": administration_id,
                "given_at": given_at, "kit_code": kit_code,
                "deviations": [str(d.kind) for d in deviations]}, reason=override_reason)
    _enter_period_of_dose(actor, participant, protocol, administration_id, on)
    _fill_dose_forms(actor, participant, protocol, dose)
    return dose


@action(AuditAction.CORRECT_ADMINISTRATION, guards=RECORDS_STUDY_DATA, subject="participant",
        doing=_("correcting a dose"))
def do_correct_administration(participant: Participant, administration_id: str,
                              given_at: dt.datetime, reason: str, *, actor: Actor,
                              kit_code: str | None = None) -> Administration:
    """Correct the time (and, for a dose from no randomization kit, the preparation code) of a
    recorded dose, with the reason; its form follows. The dose stays on its day: that day
    completed its visit, re-planned the schedule from Day 0, and was checked against the
    windows and the gates, so moving it is refused rather than left inconsistent."""
    protocol = actor.protocol()
    refusal = why_not_record(actor, _administration(protocol, administration_id))
    if refusal:
        raise NotPermittedError(refusal, field="administration_id")
    participant = _locked(participant, actor)
    dose = participant.administrations.filter(administration_id=administration_id).first()
    if dose is None:
        raise StateConflictError(_("%(administration)s is not recorded for this participant"),
                                 field="administration_id",
                                 administration=_name(protocol, administration_id))
    if not reason.strip():
        raise InvalidInputError(_("a correction needs its reason"), field="reason")
    if given_at.tzinfo is None:
        raise InvalidInputError(_("the time given must be timezone-aware"), field="given_at")
    day = timezone.localdate(dose.given_at)
    if timezone.localdate(given_at) != day:
        raise StateConflictError(
            _("a correction keeps the dose on %(day)s: its day completed its visit and anchors "
              "the schedule, the windows and the gates"), field="given_at", day=day)
    if given_at > clock.now():
        raise InvalidInputError(_("the time given %(time)s is in the future"), field="given_at",
                                time=given_at)
    code = dose.kit_code if kit_code is None else kit_code.strip()
    _check_kit(participant, code)
    _check_order(participant, protocol, administration_id, given_at)
    if (given_at, code) == (dose.given_at, dose.kit_code):
        raise StateConflictError(_("the correction changes nothing"), field="given_at")
    old = {"given_at": dose.given_at, "kit_code": dose.kit_code}
    dose.given_at, dose.kit_code = given_at, code
    dose.save(update_fields=["given_at", "kit_code"])
    record(actor, AuditAction.CORRECT_ADMINISTRATION, dose, old=old,
           new={"participant": participant.screening_number,
                "administration": administration_id, "given_at": given_at, "kit_code": code},
           reason=reason.strip())
    _fill_dose_forms(actor, participant, protocol, dose, reason=reason.strip())
    return dose


def _check_order(participant: Participant, protocol: Protocol, administration_id: str,
                 given_at: dt.datetime) -> None:
    """A corrected time keeps the Day-0 administration first."""
    day_zero = protocol.design.day_zero
    if not day_zero:
        return
    others = {a.administration_id: a.given_at for a in participant.administrations.all()
              if a.administration_id != administration_id}
    if administration_id == day_zero:
        later = [a for a, at in others.items() if at < given_at]
        if later:
            raise StateConflictError(_("%(administration)s cannot follow %(later)s"),
                                     field="given_at", administration=_name(protocol,
                                                                            administration_id),
                                     later=", ".join(sorted(_name(protocol, a) for a in later)))
    _check_after_day_zero(protocol, others, administration_id, given_at)


def _check_after_day_zero(protocol: Protocol, given: dict[str, dt.datetime],
                          administration_id: str, given_at: dt.datetime) -> None:
    """Any administration but Day 0's comes no earlier than Day 0's (``given``: recorded
    times by administration id)."""
    day_zero = protocol.design.day_zero
    if day_zero and administration_id != day_zero and day_zero in given \
            and given_at < given[day_zero]:
        _refuse_before_day_zero(protocol, administration_id)


def _refuse_before_day_zero(protocol: Protocol, administration_id: str) -> None:
    raise StateConflictError(_("%(administration)s cannot precede the Day-0 administration "
                               "(%(day_zero)s)"), field="given_at",
                             administration=_name(protocol, administration_id),
                             day_zero=_name(protocol, protocol.design.day_zero or ""))


def _name(protocol: Protocol, administration_id: str) -> str:
    """An administration as the refusal names it: by its name, not its id."""
    return protocol.administration(administration_id).name


def _fill_dose_forms(actor: Actor, participant: Participant, protocol: Protocol,
                     dose: Administration, reason: str = "") -> None:
    """The dose fills its visit's administration form (``actions.dose_forms``): a first
    version, or a correction where a hand entry before the dose said otherwise. A form that
    asks more than the dose knows (a required lot, say) is left for the site to enter."""
    facts = dose_facts(participant, dose, protocol)
    visit = protocol.administration(dose.administration_id).visit
    for form in dose_forms(protocol, dose.administration_id):
        if not form.repeating:
            fill_with_facts(participant, form, visit, values_of_dose(form, facts, protocol),
                            actor=actor, reason=reason or str(_("recorded with the dose")))


def _after_dose(actor: Actor, participant: Participant, protocol: Protocol,
                administration_id: str, on: dt.date) -> list[Deviation]:
    """Day 0 re-plans the visits; the dose completes its visit (a deviation if outside its
    window)."""
    if administration_id == protocol.design.day_zero:
        _replan(participant, protocol, on)
    return _complete_visit(actor, participant, protocol.administration(administration_id).visit,
                           on, DeviationKind.DOSE_OUT_OF_WINDOW,
                           administration_id=administration_id)


def _enter_period_of_dose(actor: Actor, participant: Participant, protocol: Protocol,
                          administration_id: str, on: dt.date) -> None:
    """A dose moves a crossover participant into its period (or its visit's period)."""
    administration = protocol.administration(administration_id)
    for period in (administration.period, protocol.visit(administration.visit).period):
        _enter_period(actor, participant, protocol, period, on,
                      visit_id=administration.visit, administration_id=administration_id)


@action(AuditAction.RECORD_VISIT, permission="enter_data",
        guards=RECORDS_STUDY_DATA, subject="participant", doing=_("recording a visit"))
def do_record_visit(participant: Participant, visit_id: str, done_on: dt.date, *,
                    actor: Actor) -> ScheduledVisit:
    """A visit took place; outside its window it is done and a deviation is recorded."""
    participant = _locked(participant, actor)
    ensure_on_timeline(participant, done_on, field="done_on", what=_("the visit"))
    visit = _visit(participant, visit_id)
    _refuse_before_previous_visit(participant, visit, done_on)
    deviations = _complete_visit(actor, participant, visit_id, done_on,
                                 DeviationKind.VISIT_OUT_OF_WINDOW)
    visit.refresh_from_db()
    record(actor, AuditAction.RECORD_VISIT, visit, old={"done_on": None},
           new={"participant": participant.screening_number, "visit": visit_id,
                "done_on": done_on, "deviations": [d.kind for d in deviations]})
    protocol = actor.protocol()
    _enter_period(actor, participant, protocol, protocol.visit(visit_id).period, done_on,
                  visit_id=visit_id)
    return visit


@action(AuditAction.RECORD_MISSED_VISIT, permission="enter_data", guards=RECORDS_STUDY_DATA,
        subject="participant", doing=_("recording a missed visit"))
def do_record_missed_visit(participant: Participant, visit_id: str, reason: str, *,
                           actor: Actor) -> ScheduledVisit:
    participant = _locked(participant, actor)
    visit = _visit(participant, visit_id)
    if not reason.strip():
        raise InvalidInputError(_("a reason is required"), field="reason")
    if visit.latest is None or visit.latest >= today():
        raise StateConflictError(_("a visit is missed only once its window has closed"),
                                 field="visit_id")
    visit.missed, visit.missed_reason = True, reason.strip()
    visit.save(update_fields=["missed", "missed_reason"])
    _deviation(actor, participant, DeviationKind.VISIT_MISSED, visit.latest,
               f"Visit {visit_id} was missed (window closed {visit.latest}): {reason.strip()}",
               visit_id=visit_id)
    record(actor, AuditAction.RECORD_MISSED_VISIT, visit, old={"missed": False},
           new={"participant": participant.screening_number, "visit": visit_id,
                "missed": True}, reason=reason)
    return visit


def _refuse_before_previous_visit(participant: Participant, visit: ScheduledVisit,
                                  done_on: dt.date) -> None:
    """A visit cannot be done before the visit planned before it: that is a mistaken date (or
    the earlier visit), not an early visit. An early visit within reach is recorded with a
    deviation instead."""
    if visit.target_date is None:
        return
    previous = (participant.visits.filter(target_date__lt=visit.target_date)
                .order_by("-target_date").first())
    if previous is None:
        return
    floor = previous.done_on or previous.target_date
    if floor is not None and done_on < floor:
        raise InvalidInputError(
            _("visit %(visit)s cannot be done on %(on)s, before visit %(previous)s (done on "
              "%(floor)s)") if previous.done_on else
            _("visit %(visit)s cannot be done on %(on)s, before visit %(previous)s (planned on "
              "%(floor)s)"), field="done_on", visit=visit.visit_id, on=done_on,
            previous=previous.visit_id, floor=floor)


def why_not_record(actor: Actor, administration: ProtocolAdministration) -> str | Promise:
    """Why this actor may not record ``administration``, worded when read (empty: it may)."""
    if not administration.differs_by_arm:
        return ("" if actor.can("record_administration") else
                worded(_("role '%(role)s' may not record doses"), role=actor.role))
    if actor.can("perform_procedure") and actor.sees("procedure_type"):
        return ""
    return worded(_("%(administration)s is real in one arm and sham in another: only a role "
                    "that sees the procedure type and performs procedures records it"),
                  administration=administration.name)


def _administration(protocol: Protocol, administration_id: str) -> ProtocolAdministration:
    try:
        return protocol.administration(administration_id)
    except KeyError:
        raise InvalidInputError(_("unknown administration '%(administration)s'"),
                                field="administration_id",
                                administration=administration_id) from None


def _locked(participant: Participant, actor: Actor) -> Participant:
    return Participant.objects.select_for_update().get(pk=participant.pk)


def _check_administration(participant: Participant, protocol: Protocol, administration_id: str,
                          given_at: dt.datetime) -> None:
    if given_at.tzinfo is None:
        raise InvalidInputError(_("the time given must be timezone-aware"), field="given_at")
    ensure_on_timeline(participant, timezone.localdate(given_at), field="given_at",
                       what=_("the administration"))
    given = {a.administration_id: a.given_at for a in participant.administrations.all()}
    if administration_id in given:
        raise StateConflictError(_("%(administration)s is already recorded for this "
                                   "participant"), field="administration_id",
                                 administration=_name(protocol, administration_id))
    day_zero = protocol.design.day_zero
    if day_zero and administration_id != day_zero and day_zero not in given:
        _refuse_before_day_zero(protocol, administration_id)
    _check_after_day_zero(protocol, given, administration_id, given_at)


def _check_kit(participant: Participant, kit_code: str) -> None:
    """A randomized participant is dosed from their own kit only (the code is not blinded)."""
    slot = RandomizationSlot.objects.filter(participant=participant).only("kit_code").first()
    if slot is not None and kit_code != slot.kit_code:
        raise InvalidInputError(_("this kit code is not the participant's kit"),
                                field="kit_code")


def _gate_reasons(participant: Participant, protocol: Protocol, administration_id: str,
                  on: dt.date) -> tuple[Check, ...]:
    study = current_study()
    earlier = dosings_of([p for p in enrolled_in(study, participant.part)
                          if p.sequence_in_part is not None
                          and participant.sequence_in_part is not None
                          and p.sequence_in_part < participant.sequence_in_part], protocol)
    periods = (period_facts(participant, protocol)
               if protocol.part(participant.part).is_crossover else None)
    own = dosings_of([participant], protocol)[0]
    verdict = may_dose(protocol, participant.part, administration_id, earlier,
                       committee_decisions(study, protocol), on, periods=periods, own=own)
    return verdict.unmet


def _enter_period(actor: Actor, participant: Participant, protocol: Protocol,
                  period_id: str | None, on: dt.date, *, visit_id: str = "",
                  administration_id: str = "") -> None:
    """Move a crossover participant into the period a recorded visit or dose belongs to, when
    that period comes after the current one (audited as ``start_period``; no arm in it)."""
    if not participant.part:
        return
    entered = period_started_by(protocol.part(participant.part), participant.period or None,
                                period_id)
    if entered is None:
        return
    previous = participant.period
    PeriodStart.objects.create(
        participant=participant, period_id=entered, started_on=on, visit_id=visit_id,
        administration_id=administration_id, recorded_at=clock.now(),
        recorded_by=actor.name)
    participant.period = entered
    participant.save(update_fields=["period"])
    record(actor, AuditAction.START_PERIOD, participant, old={"period": previous or None},
           new={"participant": participant.screening_number, "period": entered,
                "started_on": on, "visit": visit_id, "administration": administration_id})


def _allow_override(actor: Actor, reasons: tuple[Check, ...], override_reason: str) -> None:
    if not override_reason.strip():
        raise StateConflictError(_("dose refused: %(reasons)s"), field="given_at",
                                 reasons=reasons_of(reasons))
    if not actor.can("sign"):
        raise NotPermittedError(_("role '%(role)s' may not record a dose against a gate; "
                                  "an investigator may, with a reason"), field="override_reason",
                                role=actor.role)


def _replan(participant: Participant, protocol: Protocol, day_zero: dt.date) -> None:
    """Anchor every visit not yet done to the actual Day-0 date."""
    planned = {p.visit_id: p for p in plan_visits(protocol, day_zero)}
    for visit in participant.visits.filter(done_on__isnull=True, missed=False):
        p = planned.get(visit.visit_id)
        if p is not None:
            visit.target_date, visit.earliest, visit.latest = p.target, p.earliest, p.latest
            visit.save(update_fields=["target_date", "earliest", "latest"])


def _visit(participant: Participant, visit_id: str) -> ScheduledVisit:
    visit = participant.visits.filter(visit_id=visit_id).first()
    if visit is None:
        raise InvalidInputError(_("the participant has no scheduled visit '%(visit)s'"),
                                field="visit_id", visit=visit_id)
    if visit.done_on is not None or visit.missed:
        raise StateConflictError(_("visit %(visit)s is already recorded"), field="visit_id",
                                 visit=visit_id)
    return visit


def _complete_visit(actor: Actor, participant: Participant, visit_id: str, on: dt.date,
                    kind: DeviationKind, administration_id: str = "") -> list[Deviation]:
    visit = participant.visits.filter(visit_id=visit_id).first()
    if visit is None or visit.done_on is not None:
        return []  # the visit was recorded already (e.g. before the dose form)
    if visit.missed:
        raise StateConflictError(_("visit %(visit)s is recorded as missed"), field="visit_id",
                                 visit=visit_id)
    visit.done_on = on
    visit.save(update_fields=["done_on"])
    if visit.target_date is None or visit.earliest is None or visit.latest is None:
        return []
    names = {v.id: v.name for v in actor.protocol().schedule.visits}
    planned = PlannedVisit(visit_id, names.get(visit_id, visit_id), 0, visit.target_date,
                           visit.earliest, visit.latest)
    found = window_deviation(planned, on)
    if found is None:
        return []
    return [_deviation(actor, participant, kind, on, found.description, visit_id=visit_id,
                       administration_id=administration_id)]


def _deviation(actor: Actor, participant: Participant, kind: DeviationKind, on: dt.date,
               description: str, *, visit_id: str = "",
               administration_id: str = "") -> Deviation:
    deviation = Deviation.objects.create(
        participant=participant, kind=kind, description=description, occurred_on=on,
        recorded_at=clock.now(), recorded_by=actor.name, visit_id=visit_id,
        administration_id=administration_id)
    record(actor, AuditAction.RECORD_DEVIATION, deviation,
           new={"participant": participant.screening_number, "kind": kind.value,
                "occurred_on": on, "description": description})
    return deviation
