"""Helpers shared by command modules: protocol option, output files."""

from __future__ import annotations

import argparse
from pathlib import Path

from trialkit.cli.errors import UsageError
from trialkit.core.protocol import Protocol, load_protocol

DEFAULT_PROTOCOL = Path("protocols/nct05532943.yaml")


def add_protocol_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--protocol", type=Path, default=None, metavar="FILE",
                        help=f"protocol file (default: {DEFAULT_PROTOCOL})")


def protocol_from(args: argparse.Namespace) -> Protocol:
    path: Path = args.protocol or default_protocol_path()
    return load_protocol(path)


def default_protocol_path() -> Path:
    """The reference protocol: in the working directory, else beside the installed package."""
    if DEFAULT_PROTOCOL.exists():
        return DEFAULT_PROTOCOL
    bundled = Path(__file__).resolve().parents[3] / DEFAULT_PROTOCOL
    if bundled.exists():
        return bundled
    raise UsageError(f"no protocol given and {DEFAULT_PROTOCOL} not found; use --protocol FILE")


def write_output(text: str, out: Path | None) -> None:
    if out is None:
        print(text)
        return
    try:
        out.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc}") from None
