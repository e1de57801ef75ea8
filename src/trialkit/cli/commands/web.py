"""`trialkit web init | serve | check | manage` (`trialkit audit` is in audit.py)."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import Any

from trialkit.cli.commands import amend, demo, openapi
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

    serve = sub.add_parser(
        "serve", help="migrate, collect the static files and serve the application (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: a proxy on this machine, "
                            "or the demo)")
    serve.add_argument("--port", type=_port, default=8000, help="default 8000")
    serve.add_argument("--workers", type=_positive, default=None,
                       help="worker processes (default: 2 per CPU + 1)")
    serve.set_defaults(handler=_serve)

    check = sub.add_parser("check", help="is this server ready to go live? (exit 1 if not)")
    check.set_defaults(handler=_check)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)
    openapi.add_to(sub)  # `trialkit web openapi`, defined in its own module
    demo.add_to(sub)  # `trialkit web demo`, likewise
    amend.add_to(sub)  # `trialkit web amend`, likewise


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
            do_grant_role(user, _administering_role(study), None, actor=None)
        except ActionError as exc:
            raise UsageError(f"{exc.field or 'admin'}: {exc.message}") from None
        print(f"administrator {args.admin} created")
    return 0


def _administering_role(study: Any) -> str:
    """The protocol's study-wide role that manages users: the first administrator's."""
    from trialkit.web.trial.study import protocol_of

    for role in protocol_of(study).roles:
        if "manage_users" in role.can and not role.site_scoped:
            return role.id
    raise UsageError("--admin: the protocol has no study-wide role with 'manage_users' to "
                     "grant the first administrator")


def _positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _port(text: str) -> int:
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _serve(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from trialkit.web.server import bind_address, default_workers, serve

    _migrate()
    _refuse_an_unreadable_protocol()
    call_command("collectstatic", interactive=False, verbosity=0)
    # The workers are forked from this process: each must open database connections of its own.
    connections.close_all()
    workers = args.workers or default_workers()
    behind = " (people reach it through the HTTPS proxy)" if settings.HTTPS else ""
    print(f"trialkit listening on http://{bind_address(args.host, args.port)}/{behind} with "
          f"{workers} workers; Ctrl-C stops it", flush=True)
    serve(args.host, args.port, workers)
    return 0


def _refuse_an_unreadable_protocol() -> None:
    """Every page reads the current protocol version: one this release's checks refuse would
    make every request fail, so the server does not start (docs/adr/0015)."""
    from trialkit.web.deploy_check import stored_protocols

    finding = stored_protocols()
    if not finding.ok and "(current)" in finding.detail:
        raise UsageError(f"the current protocol version cannot be served: {finding.detail}")


def _check(args: argparse.Namespace) -> int:
    setup_django()
    from trialkit.web.deploy_check import deploy_findings

    findings = deploy_findings()
    failed = [f for f in findings if not f.ok]
    width = max(len(f.name) for f in findings)
    for finding in findings:
        print(f"  {'ok  ' if finding.ok else 'FAIL'}  {finding.name:<{width}}  {finding.detail}")
    if failed:
        print(f"\n{len(failed)} problem(s): not ready to go live (docs/deploy.md)")
        return 1
    print("\nready to go live")
    return 0


def _manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["trialkit web manage", *args.arguments])
    return 0

