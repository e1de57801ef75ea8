"""Reading the ODM files the tests write, independently of the writer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


def tree(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def every(root: ET.Element, path: str) -> list[ET.Element]:
    return root.findall(path, NS)


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
