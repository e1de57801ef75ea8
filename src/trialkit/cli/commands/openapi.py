"""`trialkit web openapi [-o FILE]`: write the JSON API's OpenAPI schema.

The command belongs to the ``web`` group, which ``web.register`` creates; command modules are
registered alphabetically, so ``web`` attaches this sub-command through ``add_to`` rather than
this module finding ``web`` (it does not exist yet when ``register`` runs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from trialkit.cli.common import write_output
from trialkit.cli.django_setup import setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Nothing at the top level: see ``add_to``."""


def add_to(web_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = web_subparsers.add_parser("openapi", help="write the API's OpenAPI schema (JSON)")
    parser.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                        help="write here instead of standard output")
    parser.set_defaults(handler=_openapi)


def openapi_document() -> dict[str, object]:
    setup_django()
    from trialkit.web.api import api

    schema: dict[str, object] = dict(api.get_openapi_schema(path_prefix="/api/"))
    return schema


def _openapi(args: argparse.Namespace) -> int:
    write_output(json.dumps(openapi_document(), indent=2, sort_keys=True), args.output)
    return 0
