"""A signed-in person's session: choosing the role to act in, and signing out.

Neither changes trial data, but both belong in the record: a person holding a blinded and an
unblinded role is only as blinded as the role they act in, so which role they switched to, and
when they left, is what a review of who could have seen what needs. A refused switch (a role
not held, or revoked) is written too, in its own committed transaction before the refusal is
raised (as ``do_sign_in`` does), so the attempt does not vanish with a rollback.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from trialkit.web.trial.actions.base import Actor, NotPermittedError, actor_for
from trialkit.web.trial.actions.kernel import action, record
from trialkit.web.trial.actions.vocabulary import AuditAction


def do_switch_role(user: User, role: str, *, previous: str | None = None) -> Actor:
    """Act as ``user`` in ``role`` from now on (``previous``: the role the session had)."""
    outcome = _attempt_switch_role(user, role, previous)
    if isinstance(outcome, NotPermittedError):
        # The refusal itself, not its words: it is worded where it is read (a page: the
        # reader's language), not in the protocol's language the action ran in.
        raise outcome
    return outcome


@action(AuditAction.SWITCH_ROLE, anonymous=True)
def _attempt_switch_role(user: User, role: str,
                         previous: str | None) -> Actor | NotPermittedError:
    try:
        actor = actor_for(user, role)
    except NotPermittedError as refused:
        record(None, AuditAction.SWITCH_ROLE_REFUSED, user,
               new={"role": role, "from": previous}, who=user.get_username())
        return refused
    record(actor, AuditAction.SWITCH_ROLE, user, old={"role": previous}, new={"role": role})
    return actor


# do_switch_role is not an action itself: it raises the refusal after this action committed it.
do_switch_role.composes = (_attempt_switch_role,)  # type: ignore[attr-defined]


@action(AuditAction.SIGN_OUT, anonymous=True)
def do_sign_out(user: User, role: str | None) -> None:
    """Record that ``user`` (acting in ``role``, if one was chosen) signs out; the caller then
    ends the session."""
    actor = None
    if role:
        try:
            actor = actor_for(user, role)
        except NotPermittedError:  # revoked meanwhile: still the same person leaving
            actor = None
    record(actor, AuditAction.SIGN_OUT, user, who=user.get_username(), new={"role": role})
