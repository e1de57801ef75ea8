"""`trialkit analyze [--as-of DATE] [--out DIR] [--protocol FILE] [--user NAME --role ROLE]`:
run every analysis the protocol declares on the current database and write the analysis
datasets (Dataset-JSON, SAS XPT v5, Parquet), results.json, report.html with its figures, RTF
tables and a manifest of SHA-256s.

The protocol is the study's current version unless ``--protocol`` names a file of the same
trial (an amendment of its analyses, say). Arms are read only through the access functions,
for ``--user`` acting in ``--role``: a role that sees allocation (or any role blinded until the
lock, once the study is locked) gets the report by arm; anyone else, and a run without
``--user``, gets the pooled (blinded) report. The report's first line says which.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "analyze", help="run the protocol's analyses on the database and write the report")
    parser.add_argument("--as-of", type=_date, default=None, metavar="DATE",
                        help="data as of this day, YYYY-MM-DD (default: today)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: $TRIALKIT_VAR/analysis/<as-of date>)")
    parser.add_argument("--protocol", type=Path, default=None, metavar="FILE",
                        help="protocol file of the same trial (default: the study's current "
                             "version in the database)")
    parser.add_argument("--user", default=None, metavar="NAME",
                        help="the user the run reads arms as (with --role)")
    parser.add_argument("--role", default=None, metavar="ROLE", help="that user's role")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.set_defaults(handler=_analyze)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _analyze(args: argparse.Namespace) -> int:
    if (args.user is None) != (args.role is None):
        raise UsageError("--user and --role go together")
    setup_django()
    from django.conf import settings

    from trialkit.reports.analyze import analyze
    from trialkit.web.trial import clock
    from trialkit.web.trial.analysis_source import trial_rows

    protocol = _protocol(args.protocol)
    as_of = args.as_of or clock.today()
    if as_of > clock.today():
        raise UsageError(f"--as-of {as_of} is in the future")
    out = args.out or Path(settings.VAR_DIR) / "analysis" / str(as_of)
    rows = trial_rows(as_of, _actor(args.user, args.role))
    with _Progress(args.quiet, protocol) as step:
        written = analyze(protocol, rows, out, step=step)
    print(written.stamp.headline)
    for line in written.stamp.lines():
        print(f"  {line}")
    print(f"  {len(written.files)} files in {out} (report: {out / 'report.html'})")
    return 0


def _protocol(path: Path | None) -> Any:
    from trialkit.core.protocol import load_protocol
    from trialkit.web.trial.study import NoStudyError, current_study, protocol_of

    try:
        study = current_study()
    except NoStudyError as exc:
        raise UsageError(str(exc)) from None
    if path is None:
        return protocol_of(study)
    protocol = load_protocol(path)
    if protocol.identity.id != study.protocol_id:
        raise UsageError(f"--protocol: {path} is trial {protocol.identity.id}; the database "
                         f"holds {study.protocol_id}")
    return protocol


def _actor(user: str | None, role: str | None) -> Any:
    if user is None:
        return None
    from django.contrib.auth.models import User

    from trialkit.web.trial.actions.base import ActionError, actor_for

    found = User.objects.filter(username=user).first()
    if found is None:
        raise UsageError(f"--user: no user '{user}'")
    try:
        return actor_for(found, role or "")
    except ActionError as exc:
        raise UsageError(f"--role: {exc.message}") from None


class _Progress:
    """A rich progress bar over ``analyze``'s steps (nothing when quiet)."""

    def __init__(self, quiet: bool, protocol: Any) -> None:
        from trialkit.reports.analyze import steps

        self.quiet, self.total = quiet, steps(protocol)
        self.bar: Any = None

    def __enter__(self) -> Any:
        if self.quiet:
            return lambda _: None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("{task.description:<48}"), BarColumn(),
                       TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                       transient=True)
        self.bar = bar
        bar.start()
        task = bar.add_task("analysing", total=self.total)
        started: list[str] = []

        def step(description: str) -> None:
            if started:
                bar.advance(task)
            started.append(description)
            bar.update(task, description=description)
        return step

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
