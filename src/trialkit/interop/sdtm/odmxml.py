"""The ODM and Define-XML namespaces and the two element helpers every part of define.xml uses."""

from __future__ import annotations

import xml.etree.ElementTree as ET

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
for _prefix, _uri in (("", ODM), ("def", DEF), ("xlink", XLINK)):
    ET.register_namespace(_prefix, _uri)


def o(tag: str) -> str:
    """An ODM element or attribute name."""
    return f"{{{ODM}}}{tag}"


def d(tag: str) -> str:
    """A Define-XML (def:) element or attribute name."""
    return f"{{{DEF}}}{tag}"


def text(parent: ET.Element, tag: str, value: str) -> None:
    """A Description/Decode with one English TranslatedText."""
    ET.SubElement(ET.SubElement(parent, tag), o("TranslatedText"), {XML_LANG: "en"}).text = value
