"""`trialkit protocol validate | show | diff | schema | upgrade | import-odm`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trialkit.cli import protocol_import_odm
from trialkit.cli.common import write_output
from trialkit.cli.protocol_redcap import register_import_redcap
from trialkit.cli.protocol_summary import print_summary
from trialkit.core.protocol import json_schema, load_protocol, protocol_version
from trialkit.core.protocol.diff import diff_protocols


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("protocol", help="validate, show, compare protocol files")
    sub = parser.add_subparsers(dest="protocol_command", metavar="ACTION", required=True)

    validate = sub.add_parser("validate", help="check a protocol file; exit 2 if it is invalid")
    validate.add_argument("file", type=Path)
    validate.set_defaults(handler=_validate)

    show = sub.add_parser("show", help="readable summary: design, gates, arms, schedule, "
                                       "criteria, assumptions")
    show.add_argument("file", type=Path)
    show.set_defaults(handler=_show)

    diff = sub.add_parser("diff", help="semantic differences between two protocol versions")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    diff.set_defaults(handler=_diff)

    schema = sub.add_parser("schema", help="JSON Schema of the protocol file format")
    schema.add_argument("-o", "--output", type=Path, default=None, metavar="FILE")
    schema.set_defaults(handler=_schema)

    upgrade = sub.add_parser("upgrade", help="rewrite a format-1 protocol file as format 2 "
                                             "(comments kept); prints what to review")
    upgrade.add_argument("file", type=Path)
    upgrade.add_argument("--library", type=Path, default=None, metavar="FILE",
                         help="record tables and functions the criteria use that format 1 "
                              "had built in (e.g. protocols/library/multiple-sclerosis.yaml)")
    upgrade.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                         help="where to write the upgraded file (default: standard output)")
    upgrade.set_defaults(handler=_upgrade)

    protocol_import_odm.register(sub)

    register_import_redcap(sub)


def _validate(args: argparse.Namespace) -> int:
    protocol = load_protocol(args.file)
    print(f"{args.file}: valid — {protocol.identity.id}, version {protocol_version(protocol)}")
    for site in protocol.identity.sites:
        if site.time_zone == "UTC":
            print(f"warning: identity.sites[{site.id}].time_zone is not set: its people would "
                  "enter and read times in UTC; name the site's zone (e.g. Asia/Taipei)",
                  file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    print_summary(load_protocol(args.file))
    return 0


def _diff(args: argparse.Namespace) -> int:
    old, new = load_protocol(args.old), load_protocol(args.new)
    changes = diff_protocols(old, new)
    if args.json:
        print(json.dumps({
            "old_version": protocol_version(old), "new_version": protocol_version(new),
            "changes": [{"section": c.section, "kind": c.kind, "path": c.path,
                         "old": c.old, "new": c.new} for c in changes],
        }, indent=2, ensure_ascii=False, default=str))
        return 0
    print(f"{args.old} ({protocol_version(old)[:12]}) → {args.new} ({protocol_version(new)[:12]})")
    if not changes:
        print("No differences in meaning.")
        return 0
    for section in dict.fromkeys(c.section for c in changes):
        print(f"\n{section}:")
        for change in changes:
            if change.section == section:
                print(f"  {change.describe()}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    write_output(json.dumps(json_schema(), indent=2, ensure_ascii=False), args.output)
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    from trialkit.cli.protocol_upgrade import upgrade_file

    text, notes = upgrade_file(args.file, args.library)
    write_output(text, args.output)
    for note in notes:
        print(f"review: {note}", file=sys.stderr)
    return 0
