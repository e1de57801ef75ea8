"""`trialkit screen RECORD.json [...]`: screen patient records against the protocol's criteria.

A file holds one record or a JSON array of records (``--format fhir``: a FHIR R4 Bundle or an
array of them). One record prints one result; several print a JSON array (``--json``) or one
JSON object per line (``--jsonl``); without either, a readable checklist. A malformed record is
reported on stderr with its field path and the others are still screened; the exit code is then
2. See docs/reference/patient-record.md for the record and result formats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from trialkit.cli.common import add_protocol_option, protocol_from
from trialkit.core.eligibility.compile import (
    ScreeningResult,
    compile_criteria,
    screen,
)
from trialkit.core.eligibility.record import PatientRecord, RecordError, parse_record_for
from trialkit.core.protocol import Protocol


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("screen", help="screen patient records for eligibility")
    parser.add_argument("records", type=Path, nargs="+", metavar="RECORD.json",
                        help="patient record file(s): one object or an array")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="JSON result (an array if several)")
    output.add_argument("--jsonl", action="store_true", help="one JSON result per line")
    add_protocol_option(parser)
    parser.add_argument("--as-of", type=_date, default=None, metavar="DATE",
                        help="index and consent date for records that give neither")
    parser.add_argument("--format", choices=("json", "fhir"), default="json",
                        help="input format: trialkit patient record (json) or FHIR R4 Bundle")
    parser.set_defaults(handler=_screen)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date YYYY-MM-DD") from None


def _screen(args: argparse.Namespace) -> int:
    protocol = protocol_from(args)
    compiled = compile_criteria(protocol)
    results: list[ScreeningResult] = []
    rejected = 0
    inputs = list(_records(args.records, args.format, protocol))
    for where, record in inputs:
        try:
            if isinstance(record, RecordError):
                raise record
            results.append(screen(compiled, record, as_of=args.as_of))
        except RecordError as exc:
            rejected += 1
            _report(where, exc)
    several = len(inputs) > 1 or any(where.endswith("]") for where, _ in inputs)
    _emit(results, args, several=several)
    if rejected:
        total = rejected + len(results)
        print(f"trialkit: {rejected} of {total} record(s) rejected; see the messages above",
              file=sys.stderr)
        return 2
    return 0


def _records(paths: list[Path], fmt: str, protocol: Protocol
             ) -> Iterator[tuple[str, PatientRecord | RecordError]]:
    """Each record with a label saying where it came from; a bad one as a RecordError."""
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            yield str(path), RecordError([("(file)", f"cannot read: {exc}")])
            continue
        except json.JSONDecodeError as exc:
            yield str(path), RecordError([("(file)", f"not JSON: {exc.msg} at line "
                                                     f"{exc.lineno}, column {exc.colno}")])
            continue
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items):
            label = f"{path}[{i}]" if isinstance(data, list) else str(path)
            yield label, _parse(item, fmt, protocol)


def _parse(item: Any, fmt: str, protocol: Protocol) -> PatientRecord | RecordError:
    """A record of the protocol's schema (its own tables included)."""
    try:
        if fmt == "fhir":
            from trialkit.interop.fhir import record_from_bundle

            return record_from_bundle(item, protocol)
        return parse_record_for(item, protocol)
    except RecordError as exc:
        return exc


def _report(where: str, exc: RecordError) -> None:
    who = f" (patient {exc.patient_id})" if exc.patient_id else ""
    for path, message in exc.problems:
        print(f"{where}{who}: {path}: {message}", file=sys.stderr)


def _emit(results: list[ScreeningResult], args: argparse.Namespace, *, several: bool) -> None:
    if args.jsonl:
        for result in results:
            print(json.dumps(result.to_json(), ensure_ascii=False))
    elif args.json:
        payload: Any = [r.to_json() for r in results]
        if not several and len(payload) == 1:
            payload = payload[0]
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        for result in results:
            _checklist(console, result)


_MARK = {"good": "[green]✓[/green]", "bad": "[red]✗[/red]", "unknown": "[yellow]?[/yellow]"}


def _checklist(console: Console, result: ScreeningResult) -> None:
    colour = {"eligible": "green", "ineligible": "red", "incomplete": "yellow"}[result.verdict]
    console.print(f"[bold]{escape(result.patient_id)}[/bold] — {result.protocol_id} "
                  f"(version {result.protocol_version[:12]}): "
                  f"[bold {colour}]{result.verdict.upper()}[/bold {colour}]")
    for c in result.criteria:
        status = c.outcome.status
        good = "met" if c.kind == "inclusion" else "not_met"
        mark = _MARK["unknown" if status == "unknown" else "good" if status == good else "bad"]
        console.print(f"  {mark} {c.id:<4} {c.kind:<9} {status:<8} {escape(c.outcome.explanation)}")
    if result.missing:
        console.print("  To decide:")
        for item in result.missing:
            console.print(f"    - {escape(item)}")
    console.print()

