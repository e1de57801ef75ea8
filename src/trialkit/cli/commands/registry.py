"""``trialkit registry``: a protocol as a ClinicalTrials.gov record, and a record as a protocol.

    trialkit registry export protocols/TRIAL.yaml --format ctgov-json -o record.json
    trialkit registry import NCT04047628.json -o protocols/nct04047628.yaml
    trialkit registry related protocols/TRIAL.yaml --corpus records/ --top 10 [--json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trialkit.cli.common import write_output
from trialkit.cli.errors import UsageError
from trialkit.core.protocol import load_protocol
from trialkit.interop.ctgov import (
    RecordError,
    read_record,
    related,
    related_report,
    skeleton_yaml,
    study_json,
)

FORMATS = ("ctgov-json",)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "registry", help="export a protocol as a registry record, or import one",
        description="Exchange protocols with ClinicalTrials.gov (API v2 JSON; import also "
                    "reads classic XML).")
    commands = parser.add_subparsers(dest="registry_command", metavar="ACTION", required=True)

    export = commands.add_parser(
        "export", help="write the protocol as a ClinicalTrials.gov API v2 study record")
    export.add_argument("file", type=Path, metavar="FILE", help="protocol file (YAML)")
    export.add_argument("--format", choices=FORMATS, default="ctgov-json",
                        help="record format (default: ctgov-json)")
    export.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                        help="write here instead of standard output")
    export.set_defaults(handler=run_export)

    imp = commands.add_parser(
        "import", help="make a protocol skeleton from a registry record (JSON or XML)")
    imp.add_argument("record", type=Path, metavar="RECORD",
                     help="an API v2 study (JSON) or a classic <clinical_study> record (XML)")
    imp.add_argument("-o", "--output", type=Path, default=None, metavar="OUT.yaml",
                     help="write the skeleton here instead of standard output")
    imp.set_defaults(handler=run_import)

    rel = commands.add_parser(
        "related", help="rank the registry records in a folder by similarity to a trial")
    rel.add_argument("query", type=Path, metavar="PROTOCOL_OR_RECORD",
                     help="a protocol file (YAML) or a registry record (JSON or XML)")
    rel.add_argument("--corpus", type=Path, required=True, metavar="DIR",
                     help="folder of registry records (*.json, *.xml)")
    rel.add_argument("--top", type=_positive, default=None, metavar="N",
                     help="show only the N most related (default: all)")
    rel.add_argument("--json", action="store_true", help="write the ranking as JSON")
    rel.add_argument("--embeddings", action="store_true",
                     help="re-rank with the optional wordllama model when it is installed")
    rel.set_defaults(handler=run_related)


def run_export(args: argparse.Namespace) -> int:
    protocol = load_protocol(args.file)
    try:
        text = study_json(protocol)
    except RecordError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    write_output(text, args.output)
    return 0


def run_import(args: argparse.Namespace) -> int:
    path: Path = args.record
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    try:
        skeleton = skeleton_yaml(read_record(text), source=path.name)
    except RecordError as exc:
        raise UsageError(f"{path}: {exc}") from None
    write_output(skeleton, args.output)
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: '{text}'")
    return int(text)


def run_related(args: argparse.Namespace) -> int:
    if not args.corpus.is_dir():
        raise UsageError(f"--corpus {args.corpus}: not a folder")
    try:
        query = related.read_trial(args.query)
    except (RecordError, OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{args.query}: {exc}") from None
    corpus = related.read_corpus(args.corpus)
    for name, why in corpus.skipped:
        print(f"skipped {name}: {why}", file=sys.stderr)
    similarity = None
    if args.embeddings:
        from trialkit.interop.ctgov import related_embed  # numpy + an optional model: on demand
        try:
            similarity = related_embed.embedding_similarity()
        except related_embed.EmbeddingUnavailableError as exc:
            print(f"embeddings: {exc}", file=sys.stderr)
    found = related.rank(query, corpus.trials, top=args.top, similarity=similarity)
    writer = related_report.ranking_json if args.json else related_report.ranking_text
    write_output(writer(query, corpus, found), None)
    return 0
