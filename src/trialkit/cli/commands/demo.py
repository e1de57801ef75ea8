"""`trialkit web demo [--reset] --protocol FILE`: build the demo trial into the local database
and print one sign-in per role. The protocol comes from ``--protocol`` or ``TRIALKIT_PROTOCOL``;
no trial is the default.

Like ``openapi``, the command belongs to the ``web`` group and attaches itself through
``add_to``. ``--reset`` deletes the SQLite database first; it refuses any other database,
because the audit trail of a server database is append-only and must not be wiped by a demo.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from trialkit.cli.common import add_protocol_option, protocol_path_from
from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Nothing at the top level: see ``add_to``."""


def add_to(web_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = web_subparsers.add_parser(
        "demo", help="build a demo of a trial mid-way and print the sign-ins")
    parser.add_argument("--reset", action="store_true",
                        help="delete the local SQLite database first")
    add_protocol_option(parser)
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    # The demo needs no TRIALKIT_SECRET_KEY: the settings keep a random key beside its SQLite
    # database, which later processes on that database (`trialkit web serve`) find.
    from django.conf import settings

    if not settings.configured:
        os.environ["TRIALKIT_DEMO"] = "1"
    setup_django()
    from django.core.management import call_command

    from trialkit.web.demo import build_demo
    from trialkit.web.trial.models import Study

    protocol = protocol_path_from(args)  # before anything is deleted
    database = settings.DATABASES["default"]
    if args.reset:
        if database["ENGINE"] != "django.db.backends.sqlite3":
            raise UsageError("--reset deletes only a local SQLite database; this server uses "
                             f"{database['ENGINE'].rsplit('.', 1)[-1]}")
        # With the write-ahead log beside it: a new database would replay a stale log.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database['NAME']}{suffix}").unlink(missing_ok=True)
    Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    if Study.objects.exists():
        raise UsageError("the database already holds a study; use --reset to start again")
    print("building the demo trial (a minute at most) ...", flush=True)
    demo = build_demo(protocol)
    print(f"\nDemo of the trial as of {demo.today}: sign in at http://127.0.0.1:8000/login/\n")
    width = max(len(s.role_name) for s in demo.sign_ins)
    for s in demo.sign_ins:
        print(f"  {s.role_name:<{width}}  user {s.username:<24} password {s.password}"
              f"   ({s.site})")
        if s.totp_secret:
            # Roles that can unblind, sign, administer or see an unblinded fact need a second
            # factor: the secret for an authenticator app, or a one-time recovery code.
            print(f"  {'':<{width}}  second factor: authenticator secret {s.totp_secret}, or "
                  f"a recovery code: {', '.join(s.recovery_codes[:3])}")
    print()
    return 0
