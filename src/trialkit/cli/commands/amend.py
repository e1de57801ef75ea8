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

from trialkit.cli.common import add_protocol_option, protocol_path_from
from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError
from trialkit.cli.signed_in import acting_with, signed_in
from trialkit.core.protocol.roles import Permission

MANAGING: Permission = "manage_users"
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
    actor = acting_with(signed_in(args.user), MANAGING, "load a protocol version")
    try:
        study = do_load_protocol(path, actor=actor)
    except ActionError as exc:
        raise UsageError(f"{exc.field or 'protocol'}: {exc.message}") from None
    print(f"protocol {study.protocol_id} version {study.protocol_version[:12]} is current "
          f"(loaded by {args.user} as {actor.role})")
    return 0

