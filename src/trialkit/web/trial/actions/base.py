"""What every action shares: the acting user in a role, and the errors an action raises.

An action is ``do_<verb>_<noun>(..., *, actor)`` decorated by ``kernel.action``, which owns its
transaction, permission, guards and audit event. Views and API endpoints only parse and
delegate. Errors carry the field they are about so the API can answer 4xx naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import User
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import Permission
from trialkit.web.trial.models import Membership, Participant, Study
from trialkit.web.trial.study import current_study, protocol_to_read


class ActionError(Exception):
    """An action refused; nothing was written.

    The message is a template marked for translation (``gettext_lazy``) with named values
    (``%(number)s``) given as keyword arguments, so it is worded when read: in the protocol's
    language where an action, the audit trail or the API reads it (they run in it), in the
    reader's language on a page. A plain string is read as it is."""

    status = 400

    def __init__(self, message: str | Promise, *, field: str = "", **values: object) -> None:
        self._template = message
        self._values = values
        self.field = field
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The refusal in words, in the language active where it is read."""
        return in_words(self._template, self._values)


def worded(template: str | Promise, **values: object) -> Promise:
    """A template and its values, worded when read (in the language active then): a phrase
    one refusal puts inside another ("before %(doing)s" with "entering %(form)s")."""
    return _worded_lazily(template, values)


def in_words(template: str | Promise, values: dict[str, object]) -> str:
    """A translatable template filled with its values, each worded in the active language."""
    text = str(template)
    if not values:
        return text
    return text % {name: str(value) if isinstance(value, Promise) else value
                   for name, value in values.items()}


_worded_lazily = lazy(in_words, str)


class InvalidInputError(ActionError):
    status = 422


class NotPermittedError(ActionError):
    status = 403


class NotFoundError(ActionError):
    status = 404


class ThrottledError(ActionError):
    """Too many failures from one client address: try again later."""

    status = 429


class StateConflictError(ActionError):
    """The request is well-formed but the trial's state refuses it (a gate, a lock)."""

    status = 409


@dataclass(frozen=True)
class TokenRef:
    """The API token a request came with: every audit event it causes names it."""

    id: int
    label: str
    issued_by: str

    def as_event(self) -> dict[str, object]:
        return {"id": self.id, "label": self.label, "issued_by": self.issued_by}


@dataclass(frozen=True)
class Actor:
    """A signed-in user acting in one of their roles (a user may hold several)."""

    user: User
    role: str
    site_ids: frozenset[int] | None
    """Sites this actor may see; None = every site."""
    via_token: TokenRef | None = None
    """The API token acting as the user, if it is not the person in a session."""

    @property
    def name(self) -> str:
        return self.user.get_username()

    @cached_property
    def study(self) -> Study:
        """The current study, read once per actor (an actor lives for one request or task)."""
        return current_study()

    def protocol(self) -> Protocol:
        """The protocol in the words of the language being read (the pages'); the action
        kernel reads it under the protocol's own language, so what is stored never depends on
        who wrote it."""
        return protocol_to_read(self.study)

    def can(self, permission: Permission) -> bool:
        try:
            return permission in self.protocol().role(self.role).can
        except KeyError:
            return False

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise NotPermittedError(_("role '%(role)s' may not %(permission)s"), role=self.role,
                                    permission=permission.replace("_", " "))

    def sees(self, information: str) -> bool:
        """Whether this role may see an unblinded kind of information (see access.py)."""
        try:
            role = self.protocol().role(self.role)
        except KeyError:
            return False
        if information in role.sees:
            return True
        if not role.blinded_until_lock:
            return False
        # Read afresh: the study may have been locked since this actor was made.
        return Study.objects.filter(pk=self.study.pk, locked_at__isnull=False).exists()

    def require_site(self, participant: Participant) -> None:
        if self.site_ids is not None and participant.site_id not in self.site_ids:
            # Same answer as for a participant that does not exist: no probing other sites.
            raise NotFoundError(_("no such participant"), field="participant")


def actor_for(user: User, role: str, *, via_token: TokenRef | None = None) -> Actor:
    """The actor for a user in a role they actively hold; refuses a role they do not hold."""
    memberships = list(Membership.objects.filter(user=user, role=role, active=True))
    if not memberships or not user.is_active:
        raise NotPermittedError(_("user '%(user)s' does not hold role '%(role)s'"),
                                field="role", user=user.get_username(), role=role)
    sites = None if any(m.site_id is None for m in memberships) else frozenset(
        m.site_id for m in memberships if m.site_id is not None)
    return Actor(user=user, role=role, site_ids=sites, via_token=via_token)
