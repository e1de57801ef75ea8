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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with ``command``, of that command alone when a module of
    its name registers it. Importing every command imports what each needs (SciPy,
    matplotlib, Ibis, Spark's client): seconds that ``trialkit web serve`` or a one-line
    ``trialkit protocol validate`` should not pay."""
    parser = argparse.ArgumentParser(
        prog="trialkit", description="Run a clinical trial from one protocol file.")
    parser.add_argument("--version", action="version", version=f"trialkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    if command in names:  # most commands live in the module of their name: try it first
        names.remove(command)
        names.insert(0, command)
    for name in names:
        importlib.import_module(f"{commands.__name__}.{name}").register(subparsers)
        if command in subparsers.choices:
            break
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments[0] if arguments else None)
    args = parser.parse_args(arguments)
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
