"""Reading the ODM files the tests write, independently of the writer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

from trialkit.core.protocol import Protocol

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


def tree(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def every(root: ET.Element, path: str) -> list[ET.Element]:
    return root.findall(path, NS)


def concealed_in(root: ET.Element, protocol: Protocol) -> set[str]:
    """The concealed values of the design found in a file, by the blinding crawl's rule
    (tests/functional/blinding.py): an arm's or sequence's id or label, a preparation, or
    'sham' as a whole value, a long one (over 12 characters) also inside a value."""
    design = protocol.design
    concealed = {v.lower() for a in design.arms for v in (a.id, a.label)} | {"sham"}
    concealed |= {v.lower() for part in design.parts for s in part.sequences
                  for v in (s.id, s.label)}
    concealed |= {p.preparation.lower() for a in design.administrations
                  for p in a.by_arm.values()}
    values = {v.strip().lower() for e in root.iter() for v in (*e.attrib.values(), e.text or "")}
    return {bad for bad in concealed for v in values if v == bad or (len(bad) > 12 and bad in v)}


def odmlib_problems(path: Path) -> list[str]:
    """The second checker: odmlib's validator with the ODM 1.3.2 schema odmlib bundles (its
    own copy, read by its own code path)."""
    try:
        _odmlib().validate_file(str(path))
    except Exception as exc:  # odmlib raises the first violation
        return [str(exc).splitlines()[0]]
    return []


@cache
def _odmlib() -> Any:
    from odmlib.odm_parser import ODMSchemaValidator

    return ODMSchemaValidator(standard="odm", version="1.3.2")
