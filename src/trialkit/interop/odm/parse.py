"""Parsing an ODM file with each element's line number, so import errors can say where.

ElementTree's C parser keeps no line numbers; this builds the same tree from expat's events
and records the line each element starts on. Expat never fetches external entities or DTDs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.parsers import expat

ODM13 = "http://www.cdisc.org/ns/odm/v1.3"
ODM20 = "http://www.cdisc.org/ns/odm/v2.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class OdmImportError(ValueError):
    """The file cannot be imported; the message names the line, element and OID."""


@dataclass
class Parsed:
    root: ET.Element
    lines: dict[int, int] = field(default_factory=dict)

    def line(self, element: ET.Element) -> int:
        return self.lines.get(id(element), 0)

    def where(self, element: ET.Element) -> str:
        """``line 12: <ItemDef OID="I.AGE">``: how a message points at an element."""
        oid = element.get("OID")
        shown = f'{local(element.tag)} OID="{oid}"' if oid else local(element.tag)
        return f"line {self.line(element)}: <{shown}>"


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def parse(data: bytes) -> Parsed:
    builder = ET.TreeBuilder()
    parsed = Parsed(root=ET.Element("placeholder"))
    parser = expat.ParserCreate(namespace_separator="}")

    def start(name: str, attributes: dict[str, str]) -> None:
        element = builder.start(_clark(name), {_clark(k): v for k, v in attributes.items()})
        parsed.lines[id(element)] = parser.CurrentLineNumber

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_clark(name))
    parser.CharacterDataHandler = builder.data
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise OdmImportError(f"line {exc.lineno}, column {exc.offset}: not well-formed XML "
                             f"({expat.errors.messages[exc.code]})") from None
    parsed.root = builder.close()
    return parsed


def _clark(name: str) -> str:
    """expat's ``uri}local`` as ElementTree's ``{uri}local`` (unqualified names unchanged)."""
    return "{" + name if "}" in name else name
