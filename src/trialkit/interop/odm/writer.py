"""Building and writing ODM XML with the standard library's ElementTree.

Output is deterministic: attributes are written in the order given, no clock is read, and the
same tree always serialises to the same bytes (UTF-8, two-space indentation).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ODM_VERSION = "1.3.2"

ET.register_namespace("", NS)


def tag(name: str) -> str:
    return f"{{{NS}}}{name}"


def sub(parent: ET.Element, name: str, attributes: Mapping[str, str | None] | None = None,
        text: str | None = None) -> ET.Element:
    """A child element; attributes whose value is None are left out (ODM's optional ones)."""
    element = ET.SubElement(parent, tag(name), {k: v for k, v in (attributes or {}).items()
                                                if v is not None})
    if text is not None:
        element.text = text
    return element


def translated(parent: ET.Element, name: str, text: str) -> ET.Element:
    """``<Question><TranslatedText>text</TranslatedText></Question>`` and the like."""
    wrapper = sub(parent, name)
    sub(wrapper, "TranslatedText", text=text)
    return wrapper


def root(*, file_type: str, file_oid: str, created: str, granularity: str,
         as_of: str | None = None, description: str | None = None) -> ET.Element:
    return ET.Element(tag("ODM"), {k: v for k, v in {
        "Description": description, "FileType": file_type, "Granularity": granularity,
        "FileOID": file_oid, "CreationDateTime": created, "AsOfDateTime": as_of,
        "ODMVersion": ODM_VERSION, "Originator": "trialkit", "SourceSystem": "trialkit",
    }.items() if v is not None})


def write(document: ET.Element, out: Path) -> Path:
    tree = ET.ElementTree(document)
    ET.indent(tree, space="  ")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        tree.write(handle, encoding="UTF-8", xml_declaration=True)
        handle.write(b"\n")
    return out
