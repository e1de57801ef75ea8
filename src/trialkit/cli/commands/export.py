"""`trialkit export FORMAT [--as-of DATE] --out PATH [--user NAME --role ROLE]` and
`trialkit export --list`: write one standards export of the current study and validate it.

The formats are the registry's (``trialkit.interop.exports.EXPORTS``), the same the API and the
data manager's page offer. A format that carries data reads the rows as of the day for
``--user`` acting in ``--role`` (their sites, their readable forms, and arms only where the
access layer grants them), or blinded without ``--user``; a format that names the design's
arms (``describes_arms``) is refused to a blinded reader. What was written is then checked by
the format's own validator (an official schema or a validating library): its problems are
printed and the exit code is 1. A format of several files writes a folder at ``--out``.
Every export is in the audit trail, with its format, as-of date and participants.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trialkit.cli.commands.analyze import _actor, _date
from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError

LIST = "list"
"""``trialkit export list``: the same as ``--list``."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export", help="write a standards export (registry record, CDISC, FHIR, ...) and "
                       "validate it")
    parser.add_argument("format", nargs="?", default=None, metavar="FORMAT",
                        help="the export's name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the formats and exit")
    parser.add_argument("--as-of", type=_date, default=None, metavar="DATE",
                        help="data as of this day, YYYY-MM-DD (default: today)")
    parser.add_argument("--out", type=Path, default=None, metavar="PATH",
                        help="the file to write (a folder for a format of several files)")
    parser.add_argument("--force", action="store_true", help="replace PATH if it exists")
    parser.add_argument("--user", default=None, metavar="NAME",
                        help="the user the export reads data as (with --role)")
    parser.add_argument("--role", default=None, metavar="ROLE", help="that user's role")
    parser.add_argument("--validate-with-core", type=Path, default=None, metavar="CACHE_DIR",
                        help="also run the CDISC CORE engine with this rules cache, where the "
                             "format has it and CORE is installed (never required)")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    from trialkit.interop.exports import EXPORTS

    if args.list or args.format == LIST:
        return _list()
    if args.format is None:
        raise UsageError("name a FORMAT (see `trialkit export --list`)")
    if args.format not in EXPORTS:
        raise UsageError(f"no export '{args.format}'; known: {', '.join(EXPORTS)}")
    if args.out is None:
        raise UsageError("--out PATH is required")
    if (args.user is None) != (args.role is None):
        raise UsageError("--user and --role go together")
    export = EXPORTS[args.format]
    if args.validate_with_core is not None and export.external_validator is None:
        raise UsageError(f"--validate-with-core: {export.name} has no external validator")
    _check_out(args.out, export.layout, args.force)
    setup_django()
    return _write(args, export)


def _list() -> int:
    from trialkit.interop.exports import EXPORTS

    width = max((len(name) for name in EXPORTS), default=0)
    for export in EXPORTS.values():
        kind = "folder" if export.layout == "folder" else export.suffix
        data = "protocol and data" if export.needs_data else "protocol only"
        print(f"{export.name:<{width}}  {export.title} ({kind}; {data})")
        print(f"{'':<{width}}  {export.description}")
    return 0


def _check_out(out: Path, layout: str, force: bool) -> None:
    """Nothing is overwritten without ``--force``; an empty folder is free for a folder."""
    if out.is_dir() and layout != "folder":
        raise UsageError(f"--out {out} is a folder; this format writes one file")
    if out.exists() and not out.is_dir() and layout == "folder":
        raise UsageError(f"--out {out} is a file; this format writes a folder")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: no folder {out.parent}")
    occupied = any(out.iterdir()) if out.is_dir() else out.exists() and out.stat().st_size > 0
    if occupied and not force:
        raise UsageError(f"--out {out} exists and is not empty (--force replaces it)")


def _write(args: argparse.Namespace, export: Any) -> int:
    from trialkit.web.trial import clock

    as_of = args.as_of or clock.today()
    if as_of > clock.today():
        raise UsageError(f"--as-of {as_of} is in the future")
    protocol, actor = _protocol(), _actor(args.user, args.role)
    _may_read(actor, export)
    with _progress(args.quiet) as step:
        rows = None
        if export.needs_data:
            step(f"reading the trial as of {as_of}")
            from trialkit.web.trial.exchange_source import exchange_rows

            rows = exchange_rows(as_of, actor)
        step(f"writing {export.name}")
        _write_in_place(export, protocol, rows, args.out)
        _audit(export.name, actor, rows, as_of, args.out)
        step(f"validating {export.name}")
        problems = list(export.validate(args.out))
    for problem in problems:
        print(f"{args.out}: {problem}")
    if args.validate_with_core is not None:
        for line in export.external_validator(args.out, args.validate_with_core):
            print(f"CORE: {line}")
    people = "" if rows is None else f", {len(rows.trial.participants)} participants"
    verdict = f"{len(problems)} problem(s)" if problems else "valid"
    print(f"{export.name} as of {as_of} written to {args.out}{people}: {verdict}")
    return 1 if problems else 0


def _protocol() -> Any:
    from trialkit.web.trial.study import NoStudyError, current_study, protocol_of

    try:
        return protocol_of(current_study())
    except NoStudyError as exc:
        raise UsageError(str(exc)) from None


def _may_read(actor: Any, export: Any) -> None:
    """The API's and the page's rule: roles that export data, and monitors; a format naming
    the arms only for a reader given arms. Without ``--user`` the reader is blinded."""
    from trialkit.web.api.standards_exports import require_reader
    from trialkit.web.trial.actions.base import NotPermittedError

    if actor is None:
        if export.describes_arms:
            raise UsageError(f"{export.name} describes the trial's arms, which are concealed "
                             "from a blinded reader: give the --user and --role of a role "
                             "that sees allocation")
        return
    try:
        require_reader(actor, export)
    except NotPermittedError as exc:
        raise UsageError(f"--role: {exc.message}") from None


def _write_in_place(export: Any, protocol: Any, rows: Any, out: Path) -> None:
    """Write beside ``out`` and move into place only once written: a failed export leaves
    whatever was at ``out`` as it was."""
    from trialkit.interop.exports import ExportError

    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        staged = Path(tmp) / out.name
        try:
            export.write(protocol, rows, staged)
        except ExportError as exc:
            raise UsageError(f"{export.name}: {exc}") from None
        if out.is_dir():
            shutil.rmtree(out)
        staged.replace(out)


def _audit(name: str, actor: Any, rows: Any, as_of: dt.date, out: Path) -> None:
    from trialkit.web.api.standards_exports import participants_in
    from trialkit.web.trial.read_audit import audited_export

    audited_export(actor, f"standards export {name}", rows=participants_in(rows),
                   file_format=name, who=f"{getpass.getuser()} (command line)",
                   as_of=as_of.isoformat(), to=str(out))


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step, on standard error (standard output is the report)."""
    if quiet:
        yield lambda _: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("exporting", total=None)
        yield lambda description: bar.update(task, description=description)
