"""A person acting from the command line: signed in as on the web (password, then the second
factor where their roles need it), in the first role they hold that may do what the command
does. Commands that write through the action kernel (`web amend`, `coding load`) share it."""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING

from trialkit.cli.errors import UsageError

if TYPE_CHECKING:  # Django is set up only when a command runs
    from django.contrib.auth.models import User

    from trialkit.core.protocol.roles import Permission
    from trialkit.web.trial.actions.base import Actor


def signed_in(username: str) -> User:
    """The user, once the password (``TRIALKIT_PASSWORD`` or a prompt) and, where needed, the
    authenticator's code (``TRIALKIT_CODE`` or a prompt) are accepted."""
    from trialkit.web.trial.actions.base import ActionError
    from trialkit.web.trial.actions.sign_in import (
        do_sign_in,
        do_verify_second_factor,
        second_factor_needed,
    )

    password = os.environ.get("TRIALKIT_PASSWORD") or getpass.getpass("Password: ")
    try:
        user = do_sign_in(username, password, source="cli")
        if second_factor_needed(user):
            code = os.environ.get("TRIALKIT_CODE") or input("Code from the authenticator: ")
            do_verify_second_factor(user, code.strip(), source="cli")
    except ActionError as exc:
        raise UsageError(f"{exc.field or 'user'}: {exc.message}") from None
    return user


def acting_with(user: User, permission: Permission, doing: str) -> Actor:
    """The user in their first active role (by id) whose protocol role has ``permission``;
    refused, naming ``--user`` and what the command does, when none has."""
    from trialkit.web.trial.actions.base import actor_for
    from trialkit.web.trial.models import Membership
    from trialkit.web.trial.study import current_study, protocol_of

    protocol = protocol_of(current_study())
    held = Membership.objects.filter(user=user, active=True).values_list("role", flat=True)
    for role in sorted(set(held)):
        if any(r.id == role and permission in r.can for r in protocol.roles):
            return actor_for(user, role)
    raise UsageError(f"--user: '{user.get_username()}' holds no role that may {doing} "
                     f"(permission '{permission}')")
