"""`trialkit synth cohort`: a synthetic MS population as OMOP CDM v5.4 Parquet tables, with the
concepts of a protocol's own tables and attestations (``--protocol``)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from trialkit.cli.common import add_protocol_option, protocol_from
from trialkit.cli.errors import UsageError
from trialkit.prescreen.synth import DEFAULT_CHUNK, DEFAULT_REFERENCE_DATE, write_cohort


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("synth", help="generate synthetic test data")
    sub = parser.add_subparsers(dest="synth_command", metavar="ACTION", required=True)
    cohort = sub.add_parser(
        "cohort", help="a synthetic MS population as OMOP CDM v5.4 Parquet tables")
    cohort.add_argument("--patients", type=int, required=True, metavar="N")
    cohort.add_argument("--seed", type=int, required=True, metavar="S",
                        help="random seed; the same seed and size give identical files")
    cohort.add_argument("--out", type=Path, required=True, metavar="DIR")
    cohort.add_argument("--reference-date", type=dt.date.fromisoformat,
                        default=DEFAULT_REFERENCE_DATE, metavar="DATE",
                        help=f"the day the extract is taken (default {DEFAULT_REFERENCE_DATE})")
    cohort.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, metavar="N",
                        help=f"patients per Parquet row group (default {DEFAULT_CHUNK})")
    cohort.add_argument("--quiet", action="store_true", help="no progress bar")
    add_protocol_option(cohort)
    cohort.set_defaults(handler=_cohort)


def _cohort(args: argparse.Namespace) -> int:
    if args.patients < 1:
        raise UsageError("--patients: must be at least 1")
    if args.chunk < 1:
        raise UsageError("--chunk: must be at least 1")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out: {args.out} exists and is not a folder")
    protocol = protocol_from(args)
    columns = (*Progress.get_default_columns()[:-1], BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, disable=args.quiet, transient=True) as progress:
        task = progress.add_task("patients", total=args.patients)
        summary = write_cohort(
            args.out, patients=args.patients, rng=np.random.default_rng(args.seed),
            protocol=protocol,
            reference_date=args.reference_date, chunk_size=args.chunk,
            progress=lambda n: progress.advance(task, n))
    tables = ", ".join(f"{name} {rows}" for name, rows in summary.rows.items())
    print(f"wrote {summary.patients} patients to {summary.out}: {tables}")
    return 0
