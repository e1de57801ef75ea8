"""`trialkit web init | serve | manage` (`trialkit audit` is in audit.py)."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from trialkit.cli.commands import demo, openapi
from trialkit.cli.common import add_protocol_option, protocol_path_from
from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = subparsers.add_parser("web", help="the trial-operations server")
    sub = web.add_subparsers(dest="web_command", metavar="ACTION", required=True)

    init = sub.add_parser("init", help="create the database, load the protocol, first admin")
    add_protocol_option(init)
    init.add_argument("--admin", default=None, help="username of the first administrator")
    init.set_defaults(handler=_init)

    serve = sub.add_parser("serve", help="serve the application (development server)")
    serve.add_argument("--address", default="127.0.0.1:8000")
    serve.set_defaults(handler=_serve)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)
    openapi.add_to(sub)  # `trialkit web openapi`, defined in its own module
    demo.add_to(sub)  # `trialkit web demo`, likewise


def _migrate() -> None:
    from django.core.management import call_command

    Path(os.environ.get("TRIALKIT_VAR", "var")).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)


def _init(args: argparse.Namespace) -> int:
    setup_django()
    from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import ActionError
    from trialkit.web.trial.actions.study import do_load_protocol

    path = protocol_path_from(args)  # no trial is the default: refuse before any change
    _migrate()
    try:
        study = do_load_protocol(path, actor=None)
    except ActionError as exc:
        raise UsageError(f"{exc.field or 'protocol'}: {exc.message}") from None
    print(f"protocol {study.protocol_id} version {study.protocol_version[:12]} loaded")
    if args.admin:
        password = os.environ.get("TRIALKIT_ADMIN_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = do_create_user(args.admin, password, args.admin, actor=None)
            do_grant_role(user, "administrator", None, actor=None)
        except ActionError as exc:
            raise UsageError(f"{exc.field or 'admin'}: {exc.message}") from None
        print(f"administrator {args.admin} created")
    return 0


def _serve(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    _migrate()
    call_command("runserver", args.address, use_reloader=False)
    return 0


def _manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["trialkit web manage", *args.arguments])
    return 0

