"""The randomization list (generate, release, verify) and randomizing a participant.

Nothing here ever answers with an arm: a randomization returns its number and kit code, the
list's status its method, size and hash.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import InSchema, responses
from trialkit.web.trial.actions import randomization as allocation
from trialkit.web.trial.actions.base import NotFoundError
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.models import RandomizationList
from trialkit.web.trial.study import current_study

router = Router(tags=["randomization"])


class SeedIn(InSchema):
    seed: int
    """Kept only as its SHA-256; write it down somewhere safe to reproduce the list."""


class ListOut(Schema):
    part: str
    method: str
    size: int
    generated_by: str
    generated_at: dt.datetime
    live_at: dt.datetime | None
    sha256: str
    seed_digest: str


class VerifyListOut(Schema):
    intact: bool


class RandomizationOut(Schema):
    screening_number: str
    randomization_number: str
    kit_code: str
    new: bool
    """False when the participant had been randomized before (the same answer again)."""


def _list_out(rand_list: RandomizationList) -> ListOut:
    return ListOut(part=rand_list.part, method=rand_list.method, size=rand_list.slots.count(),
                   generated_by=rand_list.generated_by, generated_at=rand_list.generated_at,
                   live_at=rand_list.live_at, sha256=rand_list.sha256,
                   seed_digest=rand_list.seed_digest)


@router.post("/randomization/list", response=responses(ListOut))
def generate(request: HttpRequest, body: SeedIn) -> ListOut:
    """Generate, or regenerate before release, the list of the randomized part."""
    rand_list = allocation.do_generate_randomization_list(body.seed, actor=actor_of(request))
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
    """Whether the live list still hashes to the SHA-256 recorded when it was released."""
    actor = actor_of(request)
    actor.require("manage_randomization")
    return VerifyListOut(intact=allocation.verify_randomization_list(actor.protocol(),
                                                                     current_study()))


@router.post("/participants/{participant_id}/randomization",
             response=responses(RandomizationOut))
def randomize(request: HttpRequest, participant_id: int) -> RandomizationOut:
    """Randomize (and so enrol) a participant; repeating the request returns the same answer."""
    actor = actor_of(request)
    result = allocation.do_randomize_participant(participant_for(actor, participant_id),
                                                 actor=actor)
    return RandomizationOut(screening_number=result.screening_number,
                            randomization_number=result.randomization_number,
                            kit_code=result.kit_code, new=result.new)
