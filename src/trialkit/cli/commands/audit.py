"""`trialkit audit verify [--checkpoints FILE]` and `trialkit audit checkpoint [-o FILE]`.

``verify`` checks the chain with the audit key, every checkpoint in the checkpoint file (the
default one when it exists), and whether the database's append-only triggers are really in
place. Exit 1 when anything is wrong. ``checkpoint`` appends the head, signed, to a file kept
outside the database, and only for a chain that verifies.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError

if TYPE_CHECKING:
    from trialkit.web.trial.audit import ChainProblem, ChainSummary

LISTED = 50
"""Problems listed one by one; a chain recomputed from its start would list every event."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser("audit", help="the audit trail")
    sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="report any altered, inserted or deleted event")
    verify.add_argument("--checkpoints", type=Path, default=None, metavar="FILE",
                        help="checkpoint file to check (default: TRIALKIT_AUDIT_CHECKPOINTS, "
                             "var/audit-checkpoints.jsonl, when it exists)")
    verify.set_defaults(handler=_verify)
    checkpoint = sub.add_parser("checkpoint",
                                help="append the chain's head, signed, to a checkpoint file")
    checkpoint.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                            help="checkpoint file (default: TRIALKIT_AUDIT_CHECKPOINTS, "
                                 "var/audit-checkpoints.jsonl)")
    checkpoint.set_defaults(handler=_checkpoint)


def _verify(args: argparse.Namespace) -> int:
    setup_django()
    if args.checkpoints is not None and not args.checkpoints.is_file():
        raise UsageError(f"--checkpoints: {args.checkpoints}: no such file")
    return report(args.checkpoints)


def checkpoint_file(given: Path | None) -> Path:
    from django.conf import settings

    return given if given is not None else Path(settings.TRIALKIT_AUDIT_CHECKPOINTS)


def report(checkpoints: Path | None) -> int:
    """Verify and print the result (also run after a restore): 0 intact, 1 not."""
    from trialkit.web.trial.audit import chain_summary, current_key, verify_chain
    from trialkit.web.trial.audit_checkpoints import check_checkpoints
    from trialkit.web.trial.audit_triggers import append_only_triggers

    path = checkpoint_file(checkpoints)
    problems = verify_chain()
    if path.is_file():
        taken, more = check_checkpoints(path)
        problems = sorted(problems + more, key=lambda p: p.sequence)
        latest = f"; latest: event {taken[-1].sequence}, taken {taken[-1].taken_at}" \
            if taken else ""
        state = f"{len(more)} problem(s), listed above" if more else "all on the chain"
        checked = f"{len(taken)} signed in {path}: {state}{latest}"
    else:
        checked = (f"none at {path} (take them with `trialkit audit checkpoint` and keep "
                   "copies elsewhere: they reveal deleted final events)")
    summary, triggers = chain_summary(), append_only_triggers()
    if problems:
        _print_problems(problems, summary)
    else:
        print(f"audit trail intact: {summary.events} events, {_how(summary)}")
    print(f"  checkpoints: {checked}")
    print(f"  append-only trigger: {triggers.describe()}")
    key = current_key()
    if key.development:
        print(f"  WARNING: key {key.key_id} is the public development key: anyone can "
              "recompute this chain. Set TRIALKIT_AUDIT_KEY or TRIALKIT_AUDIT_KEY_FILE.")
    return 1 if problems or triggers.tampered else 0


def _print_problems(problems: list[ChainProblem], summary: ChainSummary) -> None:
    print(f"audit trail BROKEN: {len(problems)} problem(s) in {summary.events} events")
    for problem in problems[:LISTED]:
        print(f"  event {problem.sequence}: {problem.problem}")
    if len(problems) > LISTED:
        print(f"  ... and {len(problems) - LISTED} more")
    altered = sum(p.kind == "altered" for p in problems)
    if altered > 1 and altered == summary.keyed:
        # Not one edit each: the whole chain was recomputed, by someone without the key.
        print(f"  every keyed link fails under the configured key ({altered} events): the "
              "chain was recomputed by someone without the key")


def _how(summary: ChainSummary) -> str:
    if not summary.events:
        return "nothing to verify yet"
    keys = ", ".join(summary.key_ids) or "none"
    text = f"hash chain verified with key {keys}"
    if summary.keyed_from is not None and summary.keyed_from > 1:
        text += (f" (events 1–{summary.keyed_from - 1} have unkeyed links, vouched for by "
                 f"event {summary.keyed_from})")
    return text


def _checkpoint(args: argparse.Namespace) -> int:
    setup_django()
    from trialkit.web.trial.audit import current_key, verify_chain
    from trialkit.web.trial.audit_checkpoints import check_checkpoints, head, write_checkpoint
    from trialkit.web.trial.models import AuditEvent

    path = checkpoint_file(args.output)
    sequence, link = head()  # first, so that the verification below covers it
    problems = verify_chain()
    if path.is_file():
        problems += check_checkpoints(path)[1]
    on_chain = sequence == 0 or AuditEvent.objects.filter(sequence=sequence, hash=link).exists()
    if problems or not on_chain:
        print(f"no checkpoint written: the audit trail is BROKEN ({len(problems)} problem(s); "
              "`trialkit audit verify` lists them). A checkpoint vouches for an intact chain.")
        return 1
    write_checkpoint(path, sequence, link)
    key = current_key()
    print(f"checkpoint: event {sequence} ({link[:16]}…) signed with key {key.key_id}, "
          f"appended to {path}")
    if key.development:
        print("  WARNING: signed with the public development key; it proves nothing.")
    return 0
