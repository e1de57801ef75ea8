"""`trialkit protocol import-odm STUDY.xml -o skeleton.yaml`: another EDC's study as protocol
forms, codelists and visits (``trialkit.interop.odm``). A file that cannot be imported is
refused with its line, element and OID, and nothing is written (exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

from trialkit.cli.common import write_output
from trialkit.cli.errors import UsageError
from trialkit.interop.odm import OdmImportError, read_study, skeleton_yaml
from trialkit.interop.odm.skeleton import DEFAULT_ENTERED_BY


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("import-odm", help="make protocol forms, codelists and visits from "
                                               "a CDISC ODM 1.3 study (another EDC's export)")
    parser.add_argument("file", type=Path, metavar="STUDY.xml")
    parser.add_argument("-o", "--output", type=Path, default=None, metavar="OUT.yaml",
                        help="write the skeleton here instead of standard output")
    parser.add_argument("--entered-by", action="append", default=None, metavar="ROLE",
                        help="a protocol role that enters the imported forms (repeatable; "
                             f"default: {', '.join(DEFAULT_ENTERED_BY)})")
    parser.set_defaults(handler=_import_odm)


def _import_odm(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = skeleton_yaml(read_study(data), source=path.name,
                             entered_by=args.entered_by or DEFAULT_ENTERED_BY)
    except OdmImportError as exc:
        raise UsageError(f"{path}: {exc}") from None
    write_output(text, args.output)
    return 0
