"""Entry point of the ``trialkit`` console script.

Exit codes: 0 success, 1 the command ran but found a problem (e.g. ``audit verify`` found a
broken chain), 2 bad input (a malformed protocol, record or argument). Bad input never shows a
traceback: commands raise :class:`UsageError` or :class:`ProtocolError` and this module prints
them.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from trialkit import __version__
from trialkit.cli import commands
from trialkit.cli.errors import UsageError
from trialkit.core.protocol import ProtocolError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trialkit", description="Run a clinical trial from one protocol file.")
    parser.add_argument("--version", action="version", version=f"trialkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
    except ProtocolError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"trialkit: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `trialkit protocol show | head`
        return 0
    return result


if __name__ == "__main__":
    sys.exit(main())
