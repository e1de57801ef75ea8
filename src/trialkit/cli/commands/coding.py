"""`trialkit coding load DIR [--version X] --user NAME`: load the sponsor's medical dictionary.

DIR is a release in MedDRA's ASCII layout (``llt.asc``, ``pt.asc``, ``mdhier.asc``, …); the
version is read from its ``meddra_release.asc`` unless ``--version`` gives it. Loading changes
what coders choose from, so it is an administrator's act made as that person (password from
``TRIALKIT_PASSWORD`` or a prompt, as ``trialkit web amend``) through the audited
``do_load_dictionary`` action. Progress is shown while the terms are written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError
from trialkit.cli.signed_in import acting_with, signed_in
from trialkit.core.protocol.roles import Permission

LOADING: Permission = "manage_users"
"""The permission loading a dictionary asks for (the action's own)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    coding = subparsers.add_parser("coding", help="the medical dictionary adverse events are "
                                                  "coded to")
    commands = coding.add_subparsers(dest="coding_command", required=True)
    load = commands.add_parser("load", help="load a dictionary release (MedDRA's file layout)")
    load.add_argument("folder", type=Path, metavar="DIR")
    load.add_argument("--version", default=None,
                      help="the release's version (else read from meddra_release.asc)")
    load.add_argument("--user", required=True, metavar="NAME",
                      help="the administrator loading it (password asked, or "
                           "TRIALKIT_PASSWORD)")
    load.set_defaults(handler=_load)


def _progress(done: int, total: int) -> None:
    print(f"  {done:,} of {total:,} terms written", flush=True)


def _load(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise UsageError(f"{args.folder}: not a folder")
    setup_django()
    from trialkit.web.trial.actions.base import ActionError
    from trialkit.web.trial.actions.coding import do_load_dictionary

    actor = acting_with(signed_in(args.user), LOADING, "load a dictionary")
    print(f"reading the dictionary in {args.folder} ...", flush=True)
    try:
        loaded = do_load_dictionary(args.folder, args.version, actor=actor,
                                    progress=_progress)
    except ActionError as exc:
        raise UsageError(f"{exc.field or 'folder'}: {exc.message}") from None
    print(f"dictionary {loaded.name} {loaded.version} is current: {loaded.terms.count():,} "
          f"terms (loaded by {args.user} as {actor.role})")
    return 0

