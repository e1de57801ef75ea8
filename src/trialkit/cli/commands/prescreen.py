"""`trialkit prescreen SOURCE`: screen a whole patient database for likely candidates."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import psycopg
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from trialkit.cli.common import add_protocol_option, protocol_from
from trialkit.cli.errors import UsageError
from trialkit.core.eligibility.compile import compile_criteria
from trialkit.prescreen.backends import BackendUnavailableError, PostgresUrlError
from trialkit.prescreen.funnel import Funnel, draw
from trialkit.prescreen.omop import OmopError
from trialkit.prescreen.partition import DEFAULT_PARTITION_SIZE
from trialkit.prescreen.run import ENGINES, Prescreen, run_prescreen
from trialkit.prescreen.sources import SourceError, is_database_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "prescreen", help="pre-screen a patient database (record folder or OMOP extract)")
    parser.add_argument("source", type=_source, metavar="SOURCE",
                        help="folder of patient-record JSON/JSONL files, OMOP CDM v5.4 Parquet "
                             "folder, OMOP DuckDB file, or postgresql://user@host/db?schema=S "
                             "(OMOP tables in PostgreSQL)")
    parser.add_argument("--as-of", type=_date, required=True, metavar="DATE",
                        help="index and consent date for patients whose record has none")
    parser.add_argument("--engine", choices=ENGINES, default=None,
                        help="default: postgres for a postgresql:// SOURCE, else duckdb")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="per-patient statuses, ranked (.parquet or .csv)")
    parser.add_argument("--chart", type=Path, default=None, metavar="FILE",
                        help="attrition funnel chart (.png or .svg)")
    parser.add_argument("--top", type=int, default=10, metavar="N",
                        help="candidates to list (default 10)")
    parser.add_argument("--partition-size", type=int, default=DEFAULT_PARTITION_SIZE,
                        metavar="N", help="patients screened at a time; memory use grows with "
                        f"it, not with the source (default {DEFAULT_PARTITION_SIZE:,})")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    add_protocol_option(parser)
    parser.set_defaults(handler=_prescreen)


def _source(text: str) -> Path | str:
    """A postgresql:// URL stays text (a Path would fold its '//'); anything else is a path."""
    return text if is_database_url(text) else Path(text)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _prescreen(args: argparse.Namespace) -> int:
    _check_paths(args)
    protocol = protocol_from(args)
    compiled = compile_criteria(protocol)
    console = Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=args.quiet) as progress:
        task = progress.add_task("starting", total=None)
        try:
            done = run_prescreen(compiled, args.source, as_of=args.as_of, engine=args.engine,
                                 out=args.out, top=args.top, partition_size=args.partition_size,
                                 stage=lambda text: progress.update(task, description=text))
        except (SourceError, OmopError, BackendUnavailableError, PostgresUrlError) as exc:
            raise UsageError(str(exc)) from None
        except psycopg.Error as exc:  # e.g. an OMOP table the account may not read
            raise UsageError(f"PostgreSQL refused the pre-screen: {str(exc).strip()}") from None
        if args.chart is not None:
            draw(done.funnel, args.chart, f"{protocol.identity.id}: pre-screen of "
                                          f"{done.funnel.patients:,} patients")
    _report(done, args.top)
    for bad in done.rejected:
        print(f"trialkit: rejected {bad.where}: {bad.message}", file=sys.stderr)
    return 1 if done.rejected else 0


def _check_paths(args: argparse.Namespace) -> None:
    if args.out is not None and args.out.suffix.lower() not in (".parquet", ".csv"):
        raise UsageError(f"--out: {args.out} must end in .parquet or .csv")
    if args.chart is not None and args.chart.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--chart: {args.chart} must end in .png or .svg")
    if args.top < 0:
        raise UsageError("--top: must be 0 or more")
    if args.partition_size < 1:
        raise UsageError("--partition-size: must be at least 1")


def _report(done: Prescreen, top: int) -> None:
    console = Console()
    console.print(funnel_table(done.funnel))
    verdicts = done.funnel.verdicts
    console.print(f"eligible {verdicts['eligible']:,} · incomplete {verdicts['incomplete']:,} · "
                  f"ineligible {verdicts['ineligible']:,} of {done.funnel.patients:,} patients")
    if top:
        console.print(candidates_table(done, top))


def funnel_table(f: Funnel) -> Table:
    table = Table(title="Attrition funnel (unknown passes; a criterion rules out when it "
                        "fails)")
    for name in ("criterion", "kind", "met", "not met", "unknown", "remaining",
                 "ruled out by it alone"):
        table.add_column(name, justify="left" if name in ("criterion", "kind") else "right")
    table.add_row("(all patients)", "", "", "", "", f"{f.patients:,}", "")
    for s in f.steps:
        table.add_row(s.criterion, s.kind, f"{s.met:,}", f"{s.not_met:,}", f"{s.unknown:,}",
                      f"{s.remaining:,}", f"{s.only_this:,}")
    return table


def candidates_table(done: Prescreen, top: int) -> Table:
    result = done.top.slice(0, top).to_pylist()
    table = Table(title=f"Top {top} candidates")
    for name in ("rank", "patient", "verdict", "unknown criteria"):
        table.add_column(name)
    for row in result:
        if row["rank"] is None:
            break
        unknown = [k for k, v in row.items() if v == "unknown"]
        table.add_row(str(row["rank"]), row["patient_id"], row["verdict"], ", ".join(unknown))
    return table
