"""A participant's journey: screening, eligibility, consent, enrolment, the end.

Visits and doses are in ``visits.py``; randomization in ``randomization.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import (
    ChoiceInput,
    DateInput,
    Id,
    InSchema,
    JudgementsInput,
    StatusFilter,
    TextInput,
    responses,
)
from trialkit.web.trial.access import randomization_number_and_kit
from trialkit.web.trial.actions import participants as journey
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.participants import ENDINGS, screened_under
from trialkit.web.trial.gate_facts import periods_of
from trialkit.web.trial.lookups import participant_for, visible_participants
from trialkit.web.trial.models import Participant
from trialkit.web.trial.study import VersionView, versions

router = Router(tags=["participants"])


class ProtocolVersionOut(Schema):
    version: str
    """The protocol version's hash (SHA-256 of its canonical form)."""
    amendment: int
    """0 for the protocol as first loaded, then 1, 2, ... in the order amendments were loaded."""
    current: bool
    """Whether the server still runs this version; if not, the participant must be screened
    again before enrolment."""


class ParticipantOut(Schema):
    id: int
    screening_number: str
    site: str
    status: str
    part: str
    sequence_in_part: int | None
    planned_day0: dt.date | None
    enrolled_at: dt.datetime | None
    consent_date: dt.date | None
    consent_form_version: str
    verdict: str | None
    """The latest eligibility verdict (eligible / ineligible / incomplete), if screened."""
    screened_under: ProtocolVersionOut | None
    """The protocol version the latest screening was made under, if screened."""
    ended_on: dt.date | None
    end_reason: str
    locked: bool
    period: str
    """The crossover period the participant is in (blank: a parallel part, or before the first
    period starts). Not blinded: every sequence switches at the same planned visit."""


class PeriodOut(Schema):
    period: str
    name: str
    starts_at_visit: str
    """The visit that starts the period (its first visit)."""
    started_on: dt.date | None
    """The day the participant entered it (None: not yet)."""


class ParticipantDetailOut(ParticipantOut):
    randomization_number: str | None
    kit_code: str | None
    """Blinded-safe: the kit's code, never its content."""
    periods: list[PeriodOut]
    """A crossover participant's periods in order, with the day each started (never the arm);
    empty in a parallel part."""


class RegisterIn(InSchema):
    screening_number: Annotated[str, TextInput("screening_number")]
    site: Annotated[str, TextInput("site")]


class EvaluateIn(InSchema):
    index_date: Annotated[dt.date, DateInput("index_date")]
    """The planned Day 0 the screening windows count back from."""


class EligibilityOut(Schema):
    eligibility: dict[str, Any]


class JudgeIn(InSchema):
    judgements: Annotated[dict[str, str], JudgementsInput(
        checks="criteria the stored screening left undecided")]
    """criterion id → ``met`` / ``not_met``, for criteria the engine left unknown."""
    rationale: Annotated[str, TextInput("rationale")]
    password: Annotated[str, TextInput("password")]


class ScreenFailureIn(InSchema):
    reason: Annotated[str, TextInput("reason", required=False,
                                     checks="required when no criterion fails")] = ""


class ConsentIn(InSchema):
    consent_date: Annotated[dt.date, DateInput("consent_date")]
    form_version: Annotated[str, TextInput("form_version")]
    taken_by: Annotated[str, TextInput("taken_by")]


class EnrolIn(InSchema):
    part: Annotated[str, TextInput("part")]


class EndIn(InSchema):
    outcome: Annotated[str, ChoiceInput("outcome", tuple(ENDINGS))]
    ended_on: Annotated[dt.date, DateInput("ended_on", checks="not before enrolment")]
    reason: Annotated[str, TextInput("reason", required=False,
                                     checks="required unless the outcome is completed")] = ""


def participant_out(p: Participant,
                    known: Mapping[str, VersionView] | None = None) -> ParticipantOut:
    return ParticipantOut(
        id=p.id, screening_number=p.screening_number, site=p.site.code, status=p.status,
        part=p.part, sequence_in_part=p.sequence_in_part, planned_day0=p.planned_day0,
        enrolled_at=p.enrolled_at, consent_date=p.consent_date,
        consent_form_version=p.consent_form_version,
        verdict=(p.eligibility or {}).get("verdict"), screened_under=_screened_under(p, known),
        ended_on=p.ended_on,
        end_reason=p.end_reason, locked=p.locked_at is not None, period=p.period)


def _screened_under(p: Participant,
                    known: Mapping[str, VersionView] | None) -> ProtocolVersionOut | None:
    view = screened_under(p, known)
    return None if view is None else ProtocolVersionOut(
        version=view.version, amendment=view.amendment, current=view.current)


@router.get("/participants", response=responses(list[ParticipantOut]))
def participants(request: HttpRequest, status: StatusFilter | None = None,
                 site: Annotated[str, TextInput("site")] | None = None) -> list[ParticipantOut]:
    """Participants at the actor's sites, optionally by status and site code."""
    rows = visible_participants(actor_of(request))
    if status is not None:
        rows = rows.filter(status=status)
    if site is not None:
        rows = rows.filter(site__code=site)
    known = versions()
    return [participant_out(p, known) for p in rows]


@router.post("/participants", response=responses(ParticipantOut, 201))
def register(request: HttpRequest, body: RegisterIn) -> Status[ParticipantOut]:
    created = journey.do_register_candidate(
        body.screening_number, body.site, actor=actor_of(request),
        idempotency_key=request.headers.get("Idempotency-Key"))
    return Status(201, participant_out(created))


@router.get("/participants/{participant_id}", response=responses(ParticipantDetailOut))
def participant(request: HttpRequest, participant_id: Id) -> ParticipantDetailOut:
    actor = actor_of(request)
    found = participant_for(actor, participant_id)
    number, kit = randomization_number_and_kit(found, actor) or (None, None)
    return ParticipantDetailOut(**participant_out(found).dict(), randomization_number=number,
                                kit_code=kit, periods=_periods(found, actor))


def _periods(found: Participant, actor: Actor) -> list[PeriodOut]:
    periods = periods_of(found, actor.protocol())
    return [] if periods is None else [
        PeriodOut(period=line.period, name=line.name, starts_at_visit=line.starts_at,
                  started_on=line.started_on) for line in periods.lines]


@router.get("/participants/{participant_id}/eligibility", response=responses(EligibilityOut))
def eligibility(request: HttpRequest, participant_id: Id) -> EligibilityOut:
    """The stored screening result (engine statuses, judgements, verdict); {} if none yet."""
    found = participant_for(actor_of(request), participant_id)
    return EligibilityOut(eligibility=found.eligibility or {})


@router.post("/participants/{participant_id}/eligibility", response=responses(EligibilityOut))
def evaluate(request: HttpRequest, participant_id: Id, body: EvaluateIn) -> EligibilityOut:
    actor = actor_of(request)
    result = journey.do_evaluate_eligibility(participant_for(actor, participant_id),
                                             body.index_date, actor=actor)
    return EligibilityOut(eligibility=result.to_json())


@router.post("/participants/{participant_id}/judgements", response=responses(EligibilityOut))
def judge(request: HttpRequest, participant_id: Id, body: JudgeIn) -> EligibilityOut:
    actor = actor_of(request)
    result = journey.do_judge_criteria(participant_for(actor, participant_id), body.judgements,
                                       body.rationale, body.password, actor=actor)
    return EligibilityOut(eligibility=result.to_json())


@router.post("/participants/{participant_id}/screen-failure",
             response=responses(ParticipantOut))
def screen_failure(request: HttpRequest, participant_id: Id,
                   body: ScreenFailureIn) -> ParticipantOut:
    actor = actor_of(request)
    return participant_out(journey.do_record_screen_failure(
        participant_for(actor, participant_id), body.reason, actor=actor))


@router.post("/participants/{participant_id}/consent", response=responses(ParticipantOut))
def consent(request: HttpRequest, participant_id: Id, body: ConsentIn) -> ParticipantOut:
    actor = actor_of(request)
    return participant_out(journey.do_record_consent(
        participant_for(actor, participant_id), body.consent_date, body.form_version,
        body.taken_by, actor=actor))


@router.post("/participants/{participant_id}/enrolment", response=responses(ParticipantOut))
def enrol(request: HttpRequest, participant_id: Id, body: EnrolIn) -> ParticipantOut:
    """Enrol into a part that is not randomized (randomized parts: POST .../randomization)."""
    actor = actor_of(request)
    return participant_out(journey.do_enrol_participant(
        participant_for(actor, participant_id), body.part, actor=actor))


@router.post("/participants/{participant_id}/end", response=responses(ParticipantOut))
def end(request: HttpRequest, participant_id: Id, body: EndIn) -> ParticipantOut:
    actor = actor_of(request)
    return participant_out(journey.do_end_participation(
        participant_for(actor, participant_id), body.outcome, body.ended_on, body.reason,
        actor=actor))

