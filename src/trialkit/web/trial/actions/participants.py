"""A participant's way in and out: screening, eligibility, consent, enrolment, the end.

Eligibility is decided by the core engine on the screening forms (``screening_record``). What
the forms cannot decide stays ``unknown`` until an investigator judges it, with a reason and
password re-entry (``do_judge_criteria``); the engine's decided statuses are never overridden.
The stored ``Participant.eligibility`` (read as ``trialkit.core.eligibility.evaluation.
Evaluation``, which alone computes the verdict) holds the engine's result, the judgements and the
resulting verdict, for the protocol version it was made under; a participant screened under an
older version must be screened again before enrolment.

Joining a randomized part happens by randomization (``actions.randomization``), which uses
the same enrolment checks as ``do_enrol_participant``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trialkit.core.eligibility.compile import screen
from trialkit.core.eligibility.evaluation import Evaluation, Judgement
from trialkit.core.eligibility.record import RecordError
from trialkit.core.forms.consent_record import consent_values
from trialkit.core.protocol import Protocol
from trialkit.core.scheduling import (
    Check,
    CommitteeDecision,
    Verdict,
    combine,
    may_enrol,
    plan_visits,
)
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    StateConflictError,
)
from trialkit.web.trial.actions.consent_forms import consent_forms, facts_on_file
from trialkit.web.trial.actions.forms import fill_with_facts
from trialkit.web.trial.actions.kernel import (
    RECORDS_STUDY_DATA,
    WRITES_PARTICIPANT_DATA,
    Guard,
    action,
    consent_on_file,
    locked_participant,
    record,
    reenter_password,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.gate_facts import committee_decisions, enrolled_in, today
from trialkit.web.trial.models import Participant, ScheduledVisit, Study
from trialkit.web.trial.scope import sites_in_scope
from trialkit.web.trial.screening_record import (
    screening_forms,
    screening_record,
    screening_visit_ids,
)
from trialkit.web.trial.signatures import unsigned_in_casebook
from trialkit.web.trial.study import VersionView, current_study, versions
from trialkit.web.trial.wording import reasons_of

S = Participant.Status
ENDINGS = {"completed": S.COMPLETED, "withdrawn": S.WITHDRAWN,
           "lost_to_follow_up": S.LOST_TO_FOLLOW_UP, "died": S.DIED}
ENDED = (S.SCREEN_FAILED, S.COMPLETED, S.WITHDRAWN, S.LOST_TO_FOLLOW_UP, S.DIED)


@action(AuditAction.REGISTER_CANDIDATE, permission="screen",
        guards=(Guard.STUDY_UNLOCKED,), idempotent=True)
def do_register_candidate(screening_number: str, site_code: str, *, actor: Actor,
                          idempotency_key: str | None = None) -> Participant:
    number = screening_number.strip()
    if not number or len(number) > 32:
        raise InvalidInputError(_("a screening number of 1–32 characters is required"),
                                field="screening_number")
    site = sites_in_scope(actor).filter(code=site_code).first()
    if site is None:
        raise InvalidInputError(_("unknown site '%(site)s'"), field="site", site=site_code)
    study = current_study()
    if Participant.objects.filter(study__protocol_id=study.protocol_id,
                                  screening_number=number).exists():
        raise StateConflictError(_("screening number '%(number)s' is taken"),
                                 field="screening_number", number=number)
    participant = Participant.objects.create(study=study, site=site, screening_number=number)
    record(actor, AuditAction.REGISTER_CANDIDATE, participant,
           new={"screening_number": number, "site": site.code})
    return participant


@action(AuditAction.EVALUATE_ELIGIBILITY, permission="screen", guards=RECORDS_STUDY_DATA,
        subject="participant", doing=_("screening them against the eligibility criteria"))
def do_evaluate_eligibility(participant: Participant, index_date: dt.date, *,
                            actor: Actor) -> Evaluation:
    """Screen the participant's screening forms for a planned Day 0 of ``index_date``."""
    participant = _locked(participant, actor)
    _refuse_if(participant.status in ENDED or participant.status == S.ENROLLED,
               _("a participant who is %(status)s is not screened again"),
               status=participant.status)
    if index_date < today():
        raise InvalidInputError(_("the planned Day 0 must not be in the past"),
                                field="index_date")
    study = current_study()
    protocol = actor.protocol()
    forms = screening_forms(participant, protocol)
    try:
        record_ = screening_record(protocol, participant.screening_number, forms, index_date)
    except RecordError as exc:
        raise InvalidInputError(_("the screening forms do not make a valid record: %(error)s"),
                                field=exc.problems[0][0] if exc.problems else "forms",
                                error=exc) from None
    result = screen(protocol, record_).to_json()
    old = participant.evaluation()
    evaluation = Evaluation.make(
        protocol_version=study.protocol_version, index_date=index_date, evaluated_on=today(),
        evaluated_by=actor.name, result=result,
        judgements=old.judgements if old is not None else {})
    participant.eligibility = evaluation.to_json()
    participant.planned_day0 = index_date
    participant.save(update_fields=["eligibility", "planned_day0"])
    record(actor, AuditAction.EVALUATE_ELIGIBILITY, participant,
           old=old.summary() if old is not None else None, new=evaluation.summary())
    return evaluation


@action(AuditAction.JUDGE_CRITERIA, permission="sign",
        guards=RECORDS_STUDY_DATA, subject="participant",
        doing=_("judging their eligibility criteria"))
def do_judge_criteria(participant: Participant, judgements: Mapping[str, str], rationale: str,
                      password: str, *, actor: Actor) -> Evaluation:
    """An investigator's judgement of criteria the engine left ``unknown`` (met / not_met)."""
    participant = _locked(participant, actor)
    reenter_password(actor, password, "judge eligibility criteria")
    if not rationale.strip():
        raise InvalidInputError(_("a rationale is required"), field="rationale")
    current = participant.evaluation()
    if current is None:
        raise StateConflictError(_("evaluate eligibility before judging criteria"))
    engine = current.engine_statuses()
    for criterion_id, status in judgements.items():
        if engine.get(criterion_id) != "unknown":
            raise InvalidInputError(_("criterion '%(criterion)s' is not an undecided criterion "
                                      "of this screening"), field=f"judgements.{criterion_id}",
                                    criterion=criterion_id)
        if status not in ("met", "not_met"):
            raise InvalidInputError(_("a judgement is 'met' or 'not_met'"),
                                    field=f"judgements.{criterion_id}")
    updated = current.judged({
        cid: Judgement(status=status, by=actor.name, on=today(),  # type: ignore[arg-type]
                       rationale=rationale.strip()) for cid, status in judgements.items()})
    participant.eligibility = updated.to_json()
    participant.save(update_fields=["eligibility"])
    record(actor, AuditAction.JUDGE_CRITERIA, participant, old=current.summary(),
           new={**updated.summary(), "judged": dict(judgements)}, reason=rationale)
    return updated


@action(AuditAction.RECORD_SCREEN_FAILURE, permission="screen", guards=WRITES_PARTICIPANT_DATA,
        subject="participant")
def do_record_screen_failure(participant: Participant, reason: str = "", *,
                             actor: Actor) -> Participant:
    """Keep a screen failure with its failing criteria (or, without any, a stated reason)."""
    participant = _locked(participant, actor)
    _refuse_if(participant.status not in (S.SCREENING, S.CONSENTED),
               _("a participant who is %(status)s cannot fail screening"),
               status=participant.status)
    evaluation = participant.evaluation()
    failing = list(evaluation.failing) if evaluation is not None else []
    if not failing and not reason.strip():
        raise InvalidInputError(_("no criterion fails: give the reason for the screen failure"),
                                field="reason")
    old_status = participant.status
    participant.status = S.SCREEN_FAILED
    participant.ended_on = today()
    participant.end_reason = "; ".join(filter(None, [
        f"failing criteria: {', '.join(failing)}" if failing else "", reason.strip()]))
    participant.save(update_fields=["status", "ended_on", "end_reason"])
    record(actor, AuditAction.RECORD_SCREEN_FAILURE, participant, old={"status": old_status},
           new={"status": participant.status, "failing_criteria": failing}, reason=reason)
    return participant


@action(AuditAction.RECORD_CONSENT, permission="consent", guards=WRITES_PARTICIPANT_DATA,
        subject="participant")
def do_record_consent(participant: Participant, consent_date: dt.date, form_version: str,
                      taken_by: str, *, actor: Actor) -> Participant:
    """Signed informed consent; a later call records re-consent to a new form version."""
    participant = _locked(participant, actor)
    _refuse_if(participant.status in ENDED,
               _("a participant who is %(status)s cannot consent"), status=participant.status)
    _check_consent_date(participant, consent_date, actor.protocol())
    for field, value, required in (("form_version", form_version, _("form version is required")),
                                   ("taken_by", taken_by, _("taken by is required"))):
        if not value.strip():
            raise InvalidInputError(required, field=field)
    if participant.consent_form_version == form_version.strip():
        raise StateConflictError(_("consent to version '%(version)s' is already recorded"),
                                 field="form_version", version=form_version)
    old = _consent(participant)
    participant.consent_date, participant.consent_form_version = consent_date, form_version.strip()
    participant.consent_taken_by = taken_by.strip()
    if participant.status == S.SCREENING:
        participant.status = S.CONSENTED
    participant.save()
    record(actor, AuditAction.RECORD_CONSENT, participant, old=old, new=_consent(participant))
    _fill_consent_forms(participant, actor)
    return participant


def _fill_consent_forms(participant: Participant, actor: Actor) -> None:
    """The consent fills its forms (``actions.consent_forms``): a first version, or a
    correction where a hand entry or an earlier consent said otherwise."""
    facts = facts_on_file(participant)
    if facts is None:
        return
    for visit, form in consent_forms(actor.protocol()):
        fill_with_facts(participant, form, visit, consent_values(form, facts),
                        actor=actor, reason=str(_("recorded with the consent")))


@action(AuditAction.ENROL_PARTICIPANT, permission="enrol", guards=RECORDS_STUDY_DATA,
        subject="participant", doing=_("enrolling them"))
def do_enrol_participant(participant: Participant, part_id: str, *, actor: Actor) -> Participant:
    """Enrol into a non-randomized part (cap, pauses, eligibility, consent)."""
    participant = _locked(participant, actor)
    protocol = actor.protocol()
    part = _part(protocol, part_id)
    if part.allocation == "RANDOMIZED":
        raise InvalidInputError(_("participants join '%(part)s' by randomization"),
                                field="part", part=part_id)
    enrol(participant, part_id, actor=actor, gates=())
    return participant


def enrol(participant: Participant, part_id: str, *, actor: Actor,
          gates: tuple[Verdict, ...], serialised: Serialised | None = None) -> Verdict:
    """Place a locked participant in a part after every check; shared with randomization.

    Enrolments in a part are serialised so that its cap and places are counted right: by
    locking the study row here, or, for randomization, by the part's list lock, which the
    caller holds; it then passes ``serialised``, with the participant's checks and the
    committee decisions it read just before taking that lock (they do not change by
    enrolling), so the time under the lock, which every randomization waits for, is short.
    """
    decisions: Sequence[CommitteeDecision]
    if serialised is None:
        study = Study.objects.select_for_update().get(pk=current_study().pk)
        checks = participant_checks(participant, study)
        decisions = committee_decisions(study, actor.protocol())
    else:
        study, checks, decisions = serialised.study, serialised.checks, serialised.decisions
    protocol = actor.protocol()
    _refuse_if(participant.status != S.CONSENTED,
               _("only a consented participant can be enrolled (this one is %(status)s)"),
               status=participant.status)
    enrolled = enrolled_in(study, part_id).count()
    verdict_ = combine(f"enrol in {part_id}", [
        checks, *gates, may_enrol(protocol, part_id, enrolled, decisions, today())])
    if not verdict_.allowed:
        raise StateConflictError(_("enrolment refused: %(reasons)s"), field="part",
                                 reasons=reasons_of(verdict_.unmet))
    participant.part, participant.status = part_id, S.ENROLLED
    participant.sequence_in_part = enrolled + 1  # nobody else enrols meanwhile (see above)
    participant.enrolled_at = clock.now()
    participant.save(update_fields=["part", "status", "sequence_in_part", "enrolled_at"])
    if serialised is None or not serialised.visits_made:
        _create_visits(participant, protocol)
    record(actor, AuditAction.ENROL_PARTICIPANT, participant, old={"status": S.CONSENTED},
           new={"status": S.ENROLLED, "part": part_id,
                "sequence_in_part": participant.sequence_in_part})
    return verdict_


@dataclass(frozen=True)
class Serialised:
    """What a caller that already serialises enrolment in the part read for ``enrol``."""

    study: Study
    checks: Verdict
    """``participant_checks`` of the participant."""
    decisions: Sequence[CommitteeDecision]
    """``committee_decisions`` of the study."""
    visits_made: bool = False
    """The caller has made the participant's visit schedule (``make_visits``): it depends on
    nothing its lock guards, so it is written before the lock is taken."""


def make_visits(participant: Participant, protocol: Protocol, checks: Verdict) -> bool:
    """Make the visit schedule of a consented participant who passes ``checks``, ahead of
    their enrolment in the same transaction (False: not made; ``enrol`` will refuse, or make
    it itself)."""
    if participant.status != S.CONSENTED or not checks.allowed or participant.planned_day0 \
            is None or participant.evaluation() is None:
        return False
    _create_visits(participant, protocol)
    return True


def participant_checks(participant: Participant, study: Study) -> Verdict:
    """Eligible under the current protocol version, and consented."""
    eligible = eligibility_verdict(participant, study) == "eligible"
    consented = consent_on_file(participant)
    # Worded now, in the language active: the reader's on a page, the protocol's in an action.
    return Verdict("participant", (
        Check("eligible", eligible,
              gettext("The participant is eligible under the current protocol version.")
              if eligible else gettext("The participant is not confirmed eligible under the "
                                       "current protocol version.")),
        Check("consented", consented, gettext("Informed consent is on file.") if consented
              else gettext("No signed informed consent is on file."))))


def eligibility_verdict(participant: Participant, study: Study) -> str:
    """``eligible`` / ``ineligible`` / ``incomplete``; ``not_screened`` if none is current."""
    evaluation = participant.evaluation()
    if evaluation is None or evaluation.protocol_version != study.protocol_version:
        return "not_screened"
    return evaluation.verdict


def screened_under(participant: Participant,
                   known: Mapping[str, VersionView] | None = None) -> VersionView | None:
    """The protocol version the participant's latest screening was made under (None: not
    screened). ``known`` saves the look-up when listing many participants."""
    evaluation = participant.evaluation()
    if evaluation is None or not evaluation.protocol_version:
        return None
    return (known if known is not None else versions()).get(evaluation.protocol_version)


@action(AuditAction.END_PARTICIPATION, permission="enrol", guards=WRITES_PARTICIPANT_DATA,
        subject="participant")
def do_end_participation(participant: Participant, outcome: str, ended_on: dt.date,
                         reason: str, *, actor: Actor) -> Participant:
    """Completion, withdrawal, loss to follow-up or death, with its date and reason."""
    participant = _locked(participant, actor)
    if outcome not in ENDINGS:
        raise InvalidInputError(_("outcome is one of %(outcomes)s"), field="outcome",
                                outcomes=", ".join(ENDINGS))
    allowed = (S.ENROLLED,) if outcome != "withdrawn" else (S.SCREENING, S.CONSENTED, S.ENROLLED)
    _refuse_if(participant.status not in allowed,
               _("a participant who is %(status)s cannot be %(outcome)s"),
               status=participant.status, outcome=outcome)
    if outcome != "completed" and not reason.strip():
        raise InvalidInputError(_("a reason is required"), field="reason")
    enrolled_on = participant.enrolled_at.date() if participant.enrolled_at else None
    if ended_on > today() or (enrolled_on is not None and ended_on < enrolled_on):
        raise InvalidInputError(_("the date is in the future or before enrolment"),
                                field="ended_on")
    open_visits = participant.visits.filter(done_on__isnull=True, missed=False)
    if outcome == "completed" and open_visits.exists():
        raise StateConflictError(_("every scheduled visit must be done or missed first: "
                                   "%(visits)s"),
                                 visits=", ".join(v.visit_id for v in open_visits))
    unsigned = unsigned_in_casebook(actor.protocol(), participant) \
        if outcome == "completed" else []
    if unsigned:
        protocol = actor.protocol()
        names = {f.id: f.name for f in protocol.forms} | {
            v.id: v.name for v in protocol.schedule.visits}
        raise StateConflictError(
            _("%(count)s form(s) still await their signature: %(forms)s"), field="outcome",
            count=len(unsigned),
            forms=", ".join(names.get(r.form_id, r.form_id)
                            + (f" at {names.get(r.visit_id, r.visit_id)}" if r.visit_id else "")
                            for r in unsigned[:5])
            + ("…" if len(unsigned) > 5 else ""))
    old = {"status": participant.status}
    participant.status, participant.ended_on = ENDINGS[outcome], ended_on
    participant.end_reason = reason.strip()
    participant.save(update_fields=["status", "ended_on", "end_reason"])
    record(actor, AuditAction.END_PARTICIPATION, participant, old=old,
           new={"status": participant.status, "ended_on": ended_on}, reason=reason)
    return participant


def _locked(participant: Participant, actor: Actor) -> Participant:
    """The participant's current row, locked for this transaction, if the actor may see it."""
    return locked_participant(participant)


def _check_consent_date(participant: Participant, consent_date: dt.date,
                        protocol: Protocol) -> None:
    """Consent is dated today or in the recent past: not in the future; a re-consent not before
    the consent it follows; a first consent not so long ago that screening (which must finish
    within the protocol's screening window after it) would already be over."""
    if consent_date > today():
        raise InvalidInputError(_("the consent date %(date)s is in the future"),
                                field="consent_date", date=consent_date)
    if participant.consent_date is not None and consent_date < participant.consent_date:
        raise InvalidInputError(_("a re-consent (%(date)s) cannot precede the consent on "
                                  "file (%(on_file)s)"), field="consent_date",
                                date=consent_date, on_file=participant.consent_date)
    window = protocol.eligibility.screening_window_days
    if participant.consent_date is None and consent_date < today() - dt.timedelta(days=window):
        raise InvalidInputError(
            _("the consent date %(date)s is more than the protocol's %(window)s-day "
              "screening window ago; screening after it would be over"), field="consent_date",
            date=consent_date, window=window)


def _refuse_if(condition: bool, message: str | Promise, **values: object) -> None:
    if condition:
        raise StateConflictError(message, field="", **values)


def _part(protocol: Protocol, part_id: str) -> Any:
    try:
        return protocol.part(part_id)
    except KeyError:
        raise InvalidInputError(_("unknown part '%(part)s'"), field="part",
                                part=part_id) from None












def _consent(participant: Participant) -> dict[str, Any]:
    return {"consent_date": participant.consent_date,
            "form_version": participant.consent_form_version,
            "taken_by": participant.consent_taken_by, "status": participant.status}


def _create_visits(participant: Participant, protocol: Protocol) -> None:
    if participant.planned_day0 is None:
        raise StateConflictError(_("the participant has no planned Day 0: evaluate "
                                   "eligibility"))
    screening = set(screening_visit_ids(protocol))
    evaluation = participant.evaluation()
    if evaluation is None:
        raise StateConflictError(_("the participant has not been screened: evaluate "
                                   "eligibility"))
    screened_on = evaluation.evaluated_on
    ScheduledVisit.objects.bulk_create([
        ScheduledVisit(participant=participant, visit_id=p.visit_id, target_date=p.target,
                       earliest=p.earliest, latest=p.latest,
                       done_on=screened_on if p.visit_id in screening else None)
        for p in plan_visits(protocol, participant.planned_day0)])
