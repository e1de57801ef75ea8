"""Checking an ODM file against the official ODM 1.3.2 XML Schema (bundled in ``xsd/``).

The schema is CDISC's (see ``xsd/PROVENANCE.md``), read by the ``xmlschema`` package, so the
check is independent of the code that wrote the file. The file is parsed here (with line
numbers, which ElementTree alone does not keep) and the tree handed to the schema; problems
come back as ``line: message``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import xmlschema

from trialkit.interop.odm import references
from trialkit.interop.odm.parse import OdmImportError, parse

XSD = Path(__file__).with_name("xsd") / "ODM1-3-2.xsd"


@cache
def _schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(XSD))


def problems(path: Path) -> list[str]:
    """Every schema violation in the file, then every reference to an OID the file does not
    define (``references``), as ``line: message``; empty when the file is valid."""
    try:
        parsed = parse(path.read_bytes())
    except OSError as exc:
        return [f"0: cannot read the file: {exc}"]
    except OdmImportError as exc:  # not well-formed XML; the message starts with its line
        return [str(exc).removeprefix("line ").replace(", column", ": column", 1)]
    found = []
    for error in _schema().iter_errors(parsed.root):
        element = error.elem if error.elem is not None else parsed.root
        found.append(f"{parsed.line(element)}: {error.reason or error.message} "
                     f"(at {re.sub(r'{[^}]*}', '', error.path or '/')})")
    return found + list(references.problems(parsed))
