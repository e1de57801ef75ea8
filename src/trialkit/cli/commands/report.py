"""`trialkit report committee --user NAME --role ROLE [--session open|closed] [--gate N]
[--as-of DATE] [--data-cut ID] [--out DIR]`: produce the safety committee's report for a
committee gate and write its PDF and HTML.

The report is produced as the named user in the named role, through the same audited action
as the committee's page (a study-wide role that reviews safety; the closed session needs one
that sees tables by arm and a prepared data cut, default the latest), and kept in the database,
so a decision can be e-signed on it by its SHA-256. The open session is pooled; the closed one
adds the data cut's tables by arm and is dated on the cut.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="reports kept in the trial database")
    sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    smc = sub.add_parser("committee",
                         help="the safety committee's report for a gate (PDF and HTML)")
    smc.add_argument("--user", required=True, metavar="NAME", help="who produces the report")
    smc.add_argument("--role", required=True, metavar="ROLE", help="that user's role")
    smc.add_argument("--session", choices=("open", "closed"), default="open",
                     help="open (pooled, the default) or closed (with a data cut by arm)")
    smc.add_argument("--gate", type=int, default=0, metavar="N",
                     help="the committee gate's index in the protocol (default 0)")
    smc.add_argument("--as-of", type=_date, default=None, metavar="DATE",
                     help="data as of this day, YYYY-MM-DD (default: today; the closed "
                          "session uses its data cut's date)")
    smc.add_argument("--data-cut", type=int, default=None, metavar="ID",
                     help="the data cut of a closed-session report (default: the latest)")
    smc.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="output folder (default: $TRIALKIT_VAR/smc-reports)")
    smc.set_defaults(handler=_smc)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _smc(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    from trialkit.web.trial.actions.base import ActionError
    from trialkit.web.trial.actions.smc_reports import do_produce_smc_report

    actor = _actor(args.user, args.role)
    if args.session == "open" and args.data_cut is not None:
        raise UsageError("--data-cut goes with --session closed")
    try:
        report = do_produce_smc_report(args.gate, args.session, args.as_of, actor=actor,
                                       data_cut=args.data_cut)
    except ActionError as exc:
        where = f"{exc.field.replace('_', '-')}: " if exc.field else ""
        raise UsageError(f"{where}{exc.message}") from None
    out: Path = args.out or Path(settings.VAR_DIR) / "smc-reports"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"smc-report-gate{report.gate_index}-{report.session}-{report.as_of}"
    (out / f"{stem}.pdf").write_bytes(bytes(report.pdf))
    (out / f"{stem}.html").write_bytes(bytes(report.html))
    print(bytes(report.html).split(b"<body>\n", 1)[1].split(b"\n", 1)[0]
          .decode("utf-8").removeprefix('<p class="view">').removesuffix("</p>"))
    print(f"  {out / stem}.pdf  SHA-256 {report.pdf_sha256}")
    print(f"  {out / stem}.html SHA-256 {report.html_sha256}")
    print(f"  data SHA-256 {report.data_sha256}")
    return 0


def _actor(user: str, role: str) -> Any:
    from django.contrib.auth.models import User

    from trialkit.web.trial.actions.base import ActionError, actor_for

    found = User.objects.filter(username=user).first()
    if found is None:
        raise UsageError(f"--user: no user '{user}'")
    try:
        return actor_for(found, role)
    except ActionError as exc:
        raise UsageError(f"--role: {exc.message}") from None
