"""`trialkit web amend --protocol FILE --user NAME`: load an amended protocol version.

An amendment changes what the server runs, so it is an administrator's act, made as that
person: the password (``TRIALKIT_PASSWORD`` or a prompt) and, where the account has one, the
second factor (``TRIALKIT_CODE`` or a prompt) are checked by the same sign-in actions the pages
use, so failures are audited and throttled alike. The load itself is the audited
``do_load_protocol`` action. This is also the remedy when `trialkit web check` reports a stored
version that a newer release's checks refuse (docs/adr/0015).
"""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TYPE_CHECKING

from trialkit.cli.common import add_protocol_option, protocol_path_from
from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError

if TYPE_CHECKING:  # Django is set up only when the command runs
    from django.contrib.auth.models import User

    from trialkit.web.trial.actions.base import Actor

MANAGING = "manage_users"
"""The permission loading a protocol version asks for (the action's own)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Nothing at the top level: ``web`` attaches ``amend`` through ``add_to``."""


def add_to(web_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = web_subparsers.add_parser(
        "amend", help="load an amended version of the running protocol (an administrator)")
    add_protocol_option(parser)
    parser.add_argument("--user", required=True, metavar="NAME",
                        help="the administrator loading it (password asked, or "
                             "TRIALKIT_PASSWORD; second factor asked, or TRIALKIT_CODE)")
    parser.set_defaults(handler=_amend)


def _amend(args: argparse.Namespace) -> int:
    setup_django()
    from trialkit.web.trial.actions.base import ActionError
    from trialkit.web.trial.actions.study import do_load_protocol

    path = protocol_path_from(args)
    user = _signed_in(args.user)
    actor = _administering(user)
    try:
        study = do_load_protocol(path, actor=actor)
    except ActionError as exc:
        raise UsageError(f"{exc.field or 'protocol'}: {exc.message}") from None
    print(f"protocol {study.protocol_id} version {study.protocol_version[:12]} is current "
          f"(loaded by {args.user} as {actor.role})")
    return 0


def _signed_in(username: str) -> User:
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


def _administering(user: User) -> Actor:
    """The user's first active role that may load a protocol version."""
    from trialkit.web.trial.actions.base import actor_for
    from trialkit.web.trial.models import Membership
    from trialkit.web.trial.study import current_study, protocol_of

    protocol = protocol_of(current_study())
    held = Membership.objects.filter(user=user, active=True).values_list("role", flat=True)
    for role in sorted(set(held)):
        if any(r.id == role and MANAGING in r.can for r in protocol.roles):
            return actor_for(user, role)
    raise UsageError(f"--user: '{user.get_username()}' holds no role that may load a protocol "
                     f"version (permission '{MANAGING}')")
