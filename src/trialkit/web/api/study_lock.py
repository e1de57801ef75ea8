"""The study lock over the API, in two people's steps (actions/locks.py): a request, then a
different person's confirmation with the trial's id typed; each re-enters their password."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import InSchema, TextInput, responses
from trialkit.web.api.study import StudyOut, study
from trialkit.web.trial.actions import locks
from trialkit.web.trial.models import StudyLockRequest
from trialkit.web.trial.study import current_study

router = Router(tags=["safety and locks"])


Reason = Annotated[str, TextInput("reason")]
Password = Annotated[str, TextInput("password")]


class LockRequestIn(InSchema):
    reason: Reason
    password: Password


class LockConfirmIn(InSchema):
    # One line of text (the query-value rule), compared with the protocol's id by the action.
    confirmation: Annotated[str, TextInput("query_value", checks="the trial's id, typed out")]
    password: Password


class WithdrawIn(InSchema):
    reason: Reason


class LockRequestOut(Schema):
    requested_by: str
    requested_at: dt.datetime
    reason: str
    outcome: str
    """Blank while pending; ``locked`` or ``withdrawn``."""


class LockStateOut(Schema):
    locked_at: dt.datetime | None
    blockers: list[str]
    """Why the study cannot be locked yet (empty: it can)."""
    pending: LockRequestOut | None


def _request_out(request: StudyLockRequest) -> LockRequestOut:
    return LockRequestOut(requested_by=request.requested_by.get_username(),
                          requested_at=request.requested_at, reason=request.reason,
                          outcome=request.outcome)


@router.get("/study/lock", response=responses(LockStateOut))
def lock_state(request: HttpRequest) -> LockStateOut:
    """Whether the study is locked, what still blocks the lock, and a pending request."""
    actor = actor_of(request)
    actor.require("lock_data")
    current = current_study()
    if current.locked_at is not None:
        return LockStateOut(locked_at=current.locked_at, blockers=[], pending=None)
    pending = locks.pending_study_lock_request(current)
    return LockStateOut(locked_at=None,
                        blockers=[str(b) for b in locks.study_lock_blockers(
                            current, actor.protocol())],
                        pending=_request_out(pending) if pending else None)


@router.post("/study/lock/request", response=responses(LockRequestOut, 201))
def request_lock(request: HttpRequest, body: LockRequestIn) -> Status[LockRequestOut]:
    """The first person asks for the study lock."""
    made = locks.do_request_study_lock(body.reason, body.password, actor=actor_of(request))
    return Status(201, _request_out(made))


@router.post("/study/lock/request/withdrawal", response=responses(LockRequestOut))
def withdraw_request(request: HttpRequest, body: WithdrawIn) -> LockRequestOut:
    return _request_out(locks.do_withdraw_study_lock_request(body.reason,
                                                             actor=actor_of(request)))


@router.post("/study/lock", response=responses(StudyOut))
def lock_study(request: HttpRequest, body: LockConfirmIn) -> StudyOut:
    """A second person confirms the pending request: the study database is locked (final;
    unblinds roles that are blinded until lock)."""
    locks.do_lock_study(body.confirmation, body.password, actor=actor_of(request))
    return study(request)
