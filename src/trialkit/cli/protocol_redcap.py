"""`trialkit protocol import-redcap DICTIONARY.csv -o forms.yaml`: a site's REDCap project in.

The output holds the protocol's ``codelists`` and ``forms`` sections, ready to be merged into a
protocol file (the loader then checks them with the rest). A malformed dictionary is refused
with every problem located by row and column; nothing is written and the exit status is 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from trialkit.cli.common import write_output
from trialkit.interop.redcap import DictionaryError, import_dictionary


def register_import_redcap(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("import-redcap", help="a REDCap data dictionary (CSV) as protocol "
                                                  "forms and code lists (YAML); exit 2 if it "
                                                  "is malformed")
    parser.add_argument("dictionary", type=Path, metavar="DICTIONARY.csv")
    parser.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                        help="where to write the YAML (default: standard output)")
    parser.add_argument("--entered-by", action="append", required=True, metavar="ROLE",
                        help="a role of the protocol that enters these forms (repeatable)")
    parser.set_defaults(handler=_import_redcap)


def _import_redcap(args: argparse.Namespace) -> int:
    try:
        text = args.dictionary.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.dictionary}: cannot be read ({exc})", file=sys.stderr)
        return 2
    try:
        imported = import_dictionary(text, args.entered_by)
    except DictionaryError as exc:
        for problem in exc.problems:
            print(f"{args.dictionary}: {problem}", file=sys.stderr)
        return 2
    header = (f"# Forms and code lists imported from the REDCap data dictionary "
              f"{args.dictionary.name}:\n# merge these sections into a protocol file.\n")
    write_output(header + yaml.safe_dump(imported.sections(), sort_keys=False,
                                         allow_unicode=True, width=100), args.output)
    for note in imported.skipped:
        print(f"skipped: {note}", file=sys.stderr)
    return 0
