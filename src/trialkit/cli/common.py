"""Helpers shared by command modules: the protocol option, output files."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from trialkit.cli.errors import UsageError
from trialkit.core.protocol import Protocol, load_protocol

PROTOCOL_VARIABLE = "TRIALKIT_PROTOCOL"


def add_protocol_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", type=Path, default=None, metavar="FILE",
                        help=f"protocol file (default: ${PROTOCOL_VARIABLE})")


def protocol_path_from(args: argparse.Namespace) -> Path:
    """``--protocol FILE``, else the ``TRIALKIT_PROTOCOL`` environment variable; neither is a
    usage error (no trial is the default: every trial is a protocol file)."""
    given: Path | None = getattr(args, "protocol", None)
    if given is not None:
        return given
    return default_protocol_path()


def default_protocol_path() -> Path:
    """The protocol named by ``TRIALKIT_PROTOCOL``; a usage error when it is unset."""
    named = os.environ.get(PROTOCOL_VARIABLE, "").strip()
    if not named:
        raise UsageError(f"no protocol given: use --protocol FILE or set {PROTOCOL_VARIABLE}")
    return Path(named)


def protocol_from(args: argparse.Namespace) -> Protocol:
    return load_protocol(protocol_path_from(args))


def write_output(text: str, out: Path | None) -> None:
    if out is None:
        print(text)
        return
    try:
        out.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc}") from None
