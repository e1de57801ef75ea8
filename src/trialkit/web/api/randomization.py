"""The randomization list (generate, release, verify), randomizing a participant, and a
crossover participant's sequence for the roles that see allocation.

Randomizing never answers with an arm or a sequence: it returns the number and kit code, the
list's status its method, size and keyed digest. Nobody sends a seed: the server draws it and
keeps it nowhere (docs/security.md, "Randomization list secrecy"). The one allocation reader
here, ``GET /participants/{id}/allocation/sequence``, goes through ``access.access_allocation``
(403 for a blinded role), like ``GET /participants/{id}/allocation``.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import Id, InSchema, responses
from trialkit.web.trial import access
from trialkit.web.trial.actions import randomization as allocation
from trialkit.web.trial.actions.base import NotFoundError, StateConflictError
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.models import RandomizationList
from trialkit.web.trial.study import current_study

router = Router(tags=["randomization"])


class GenerateIn(InSchema):
    """Nothing to choose: the server draws the seeds. A field sent anyway (an old client's
    ``seed``) is refused by name rather than ignored."""

    model_config = ConfigDict(extra="forbid")


class ListOut(Schema):
    part: str
    method: str
    size: int
    generated_by: str
    generated_at: dt.datetime
    live_at: dt.datetime | None
    digest: str
    """HMAC-SHA256 of the list under a key outside the database, recorded at release (blank
    before); a plain SHA-256 marked ``sha256:`` for a list released before digests were keyed."""


class VerifyListOut(Schema):
    intact: bool


class PeriodArmOut(Schema):
    period: str
    period_name: str
    arm: str
    arm_label: str
    started_on: dt.date | None
    """The day the participant entered the period (None: not yet)."""


class SequenceOut(Schema):
    screening_number: str
    sequence: str
    sequence_label: str
    period: str
    """The period the participant is in (blank before the first starts)."""
    arm: str
    """The arm of the current period (the first period's before it starts)."""
    periods: list[PeriodArmOut]


class RandomizationOut(Schema):
    screening_number: str
    randomization_number: str
    kit_code: str
    new: bool
    """False when the participant had been randomized before (the same answer again)."""


def _list_out(rand_list: RandomizationList) -> ListOut:
    return ListOut(part=rand_list.part, method=rand_list.method, size=rand_list.slots.count(),
                   generated_by=rand_list.generated_by, generated_at=rand_list.generated_at,
                   live_at=rand_list.live_at, digest=rand_list.digest)


@router.post("/randomization/list", response=responses(ListOut))
def generate(request: HttpRequest, body: GenerateIn) -> ListOut:
    """Generate, or regenerate before release, the list of the randomized part, from seeds the
    server draws; the body is empty (``{}``)."""
    rand_list = allocation.do_generate_randomization_list(actor=actor_of(request))
    return _list_out(rand_list)


@router.get("/randomization/list", response=responses(ListOut))
def status(request: HttpRequest) -> ListOut:
    actor_of(request).require("manage_randomization")
    rand_list = RandomizationList.objects.filter(
        study__protocol_id=current_study().protocol_id).first()
    if rand_list is None:
        raise NotFoundError("no randomization list has been generated")
    return _list_out(rand_list)


@router.post("/randomization/list/release", response=responses(ListOut))
def release(request: HttpRequest) -> ListOut:
    allocation.do_release_randomization_list(actor=actor_of(request))
    return _list_out(RandomizationList.objects.get(
        study__protocol_id=current_study().protocol_id, live_at__isnull=False))


@router.get("/randomization/list/verify", response=responses(VerifyListOut))
def verify(request: HttpRequest) -> VerifyListOut:
    """Whether the live list still has the digest recorded when it was released."""
    actor = actor_of(request)
    actor.require("manage_randomization")
    return VerifyListOut(intact=allocation.verify_randomization_list(actor.protocol(),
                                                                     current_study()))


@router.post("/participants/{participant_id}/randomization",
             response=responses(RandomizationOut))
def randomize(request: HttpRequest, participant_id: Id) -> RandomizationOut:
    """Randomize (and so enrol) a participant; repeating the request returns the same answer."""
    actor = actor_of(request)
    result = allocation.do_randomize_participant(participant_for(actor, participant_id),
                                                 actor=actor)
    return RandomizationOut(screening_number=result.screening_number,
                            randomization_number=result.randomization_number,
                            kit_code=result.kit_code, new=result.new)


@router.get("/participants/{participant_id}/allocation/sequence",
            response=responses(SequenceOut))
def sequence(request: HttpRequest, participant_id: Id) -> SequenceOut:
    """A crossover participant's sequence and the arm of each period: for the roles that see
    allocation (and an investigator who unblinded them); 409 outside a crossover part."""
    actor = actor_of(request)
    view = access.access_allocation(participant_for(actor, participant_id), actor)
    if not view.sequence:
        raise StateConflictError("the participant is not randomized to a sequence (not a "
                                 "crossover part)", field="participant_id")
    return SequenceOut(
        screening_number=view.screening_number, sequence=view.sequence,
        sequence_label=view.sequence_label, period=view.period, arm=view.arm,
        periods=[PeriodArmOut(period=p.period, period_name=p.period_name, arm=p.arm,
                              arm_label=p.arm_label, started_on=p.started_on)
                 for p in view.periods])
