"""A participant's journey: screening, eligibility, consent, enrolment, the end.

Visits and doses are in ``visits.py``; randomization in ``randomization.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import create_model

from trialkit.core.eligibility.evaluation import Evaluation
from trialkit.web.api.auth import actor_of
from trialkit.web.api.derived import DerivedOut, derived, list_of, optional
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
from trialkit.web.pages.readers import (
    ParticipantDetail,
    ParticipantSummary,
    PeriodRow,
    participant_detail,
    participant_summaries,
    participant_summary,
)
from trialkit.web.trial.actions import participants as journey
from trialkit.web.trial.actions.participants import ENDINGS
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.study import VersionView

router = Router(tags=["participants"])


ParticipantOut = derived(ParticipantSummary, "ParticipantOut",
                         names={VersionView: "ProtocolVersionOut"})
"""The participant list's own record (``pages.readers.ParticipantSummary``)."""
ParticipantDetailOut = derived(ParticipantDetail, "ParticipantDetailOut",
                               names={PeriodRow: "PeriodOut"})


class RegisterIn(InSchema):
    screening_number: Annotated[str, TextInput("screening_number")]
    site: Annotated[str, TextInput("site")]


class EvaluateIn(InSchema):
    index_date: Annotated[dt.date, DateInput("index_date")]
    """The planned Day 0 the screening windows count back from."""


EvaluationOut = derived(Evaluation, "EvaluationOut")
EligibilityOut = create_model(
    "EligibilityOut", __base__=DerivedOut,
    __doc__="The stored evaluation (null: not screened yet).",
    eligibility=(optional(EvaluationOut), ...))


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


@router.get("/participants", response=responses(list_of(ParticipantOut)))
def participants(request: HttpRequest, status: StatusFilter | None = None,
                 site: Annotated[str, TextInput("site")] | None = None
                 ) -> list[ParticipantSummary]:
    """Participants at the actor's sites, optionally by status and site code."""
    return participant_summaries(actor_of(request), status=status, site=site)


@router.post("/participants", response=responses(ParticipantOut, 201))
def register(request: HttpRequest, body: RegisterIn) -> Status[ParticipantSummary]:
    created = journey.do_register_candidate(
        body.screening_number, body.site, actor=actor_of(request),
        idempotency_key=request.headers.get("Idempotency-Key"))
    return Status(201, participant_summary(created))


@router.get("/participants/{participant_id}", response=responses(ParticipantDetailOut))
def participant(request: HttpRequest, participant_id: Id) -> ParticipantDetail:
    actor = actor_of(request)
    return participant_detail(participant_for(actor, participant_id), actor)


@router.get("/participants/{participant_id}/eligibility", response=responses(EligibilityOut))
def eligibility(request: HttpRequest, participant_id: Id) -> dict[str, Evaluation | None]:
    """The stored screening result (engine statuses, judgements, verdict); null if none yet."""
    found = participant_for(actor_of(request), participant_id)
    return {"eligibility": found.evaluation()}


@router.post("/participants/{participant_id}/eligibility", response=responses(EligibilityOut))
def evaluate(request: HttpRequest, participant_id: Id,
             body: EvaluateIn) -> dict[str, Evaluation | None]:
    actor = actor_of(request)
    result = journey.do_evaluate_eligibility(participant_for(actor, participant_id),
                                             body.index_date, actor=actor)
    return {"eligibility": result}


@router.post("/participants/{participant_id}/judgements", response=responses(EligibilityOut))
def judge(request: HttpRequest, participant_id: Id,
          body: JudgeIn) -> dict[str, Evaluation | None]:
    actor = actor_of(request)
    result = journey.do_judge_criteria(participant_for(actor, participant_id), body.judgements,
                                       body.rationale, body.password, actor=actor)
    return {"eligibility": result}


@router.post("/participants/{participant_id}/screen-failure",
             response=responses(ParticipantOut))
def screen_failure(request: HttpRequest, participant_id: Id,
                   body: ScreenFailureIn) -> ParticipantSummary:
    actor = actor_of(request)
    return participant_summary(journey.do_record_screen_failure(
        participant_for(actor, participant_id), body.reason, actor=actor))


@router.post("/participants/{participant_id}/consent", response=responses(ParticipantOut))
def consent(request: HttpRequest, participant_id: Id, body: ConsentIn) -> ParticipantSummary:
    actor = actor_of(request)
    return participant_summary(journey.do_record_consent(
        participant_for(actor, participant_id), body.consent_date, body.form_version,
        body.taken_by, actor=actor))


@router.post("/participants/{participant_id}/enrolment", response=responses(ParticipantOut))
def enrol(request: HttpRequest, participant_id: Id, body: EnrolIn) -> ParticipantSummary:
    """Enrol into a part that is not randomized (randomized parts: POST .../randomization)."""
    actor = actor_of(request)
    return participant_summary(journey.do_enrol_participant(
        participant_for(actor, participant_id), body.part, actor=actor))


@router.post("/participants/{participant_id}/end", response=responses(ParticipantOut))
def end(request: HttpRequest, participant_id: Id, body: EndIn) -> ParticipantSummary:
    actor = actor_of(request)
    return participant_summary(journey.do_end_participation(
        participant_for(actor, participant_id), body.outcome, body.ended_on, body.reason,
        actor=actor))

