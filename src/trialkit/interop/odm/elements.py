"""Reading ODM elements: texts, aliases, vendor attributes, refs in order, ids from OIDs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from trialkit.interop.odm.metadata import (
    ALIAS_CATEGORY,
    ALIAS_CONCEPT,
    ALIAS_CT,
    ALIAS_TEST,
    ALIAS_TESTCD,
    ALIAS_VARIABLE,
)
from trialkit.interop.odm.parse import ODM13, XML_LANG, local

IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_CDISC_NAME = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_DOMAIN = re.compile(r"^[A-Z]{2}([A-Z]{2})?$")


def ident(text: str) -> str:
    """An id the protocol accepts (letters, digits, ``_ . -``, starting with a letter)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.strip()).strip("_") or "unnamed"
    return cleaned if cleaned[0].isalpha() else f"x_{cleaned}"


def cdisc_of(item: ET.Element, group: ET.Element) -> dict[str, str] | None:
    """The CDISC annotation: trialkit's Aliases, else SDSVarName with the group's Domain."""
    annotation: dict[str, str] = {}
    for context, key in ((ALIAS_VARIABLE, "variable"), (ALIAS_TESTCD, "testcd")):
        domain, _, name = (alias(item, context) or "").partition(".")
        if _DOMAIN.match(domain) and _CDISC_NAME.match(name):
            annotation |= {"domain": domain, key: name}
    if not annotation and _DOMAIN.match(group.get("Domain", "")) \
            and _CDISC_NAME.match(item.get("SDSVarName", "")):
        annotation = {"domain": group.get("Domain", ""), "variable": item.get("SDSVarName", "")}
    for context, key in ((ALIAS_TEST, "test"), (ALIAS_CATEGORY, "category"),
                         (ALIAS_CT, "codelist")):
        if annotation and (value := alias(item, context)):
            annotation[key] = value
    if "testcd" in annotation and "test" not in annotation:
        del annotation["testcd"]
        if "variable" not in annotation:
            return None
    return annotation or None


def concept_of(entry: ET.Element) -> str:
    """A code's concept: an Alias in a coding system's context (``SNOMED`` → ``SNOMED:…``)."""
    for alias in children(entry, "Alias"):
        context, name = alias.get("Context", ""), alias.get("Name", "")
        if context and name and context != ALIAS_VARIABLE:
            return name if context == ALIAS_CONCEPT else f"{context}:{name}"
    return ""


def children(parent: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if parent is None else parent.findall(f"{{{ODM13}}}{name}")


def first(parent: ET.Element, name: str) -> ET.Element | None:
    return parent.find(f"{{{ODM13}}}{name}")


def text(parent: ET.Element, name: str) -> str:
    """The English (else the first) TranslatedText of a Question, Decode, Description ..."""
    wrapper = first(parent, name)
    texts = children(wrapper, "TranslatedText")
    chosen = next((t for t in texts if t.get(XML_LANG, "en").startswith("en")), None)
    chosen = chosen if chosen is not None else (texts[0] if texts else None)
    return " ".join((chosen.text or "").split()) if chosen is not None else ""


def alias(element: ET.Element, context: str) -> str:
    return next((a.get("Name", "") for a in children(element, "Alias")
                 if a.get("Context") == context), "")


def extension(element: ET.Element, name: str) -> str:
    """A vendor attribute by its local name (``redcap:Variable``), whatever its namespace."""
    return next((v for k, v in element.attrib.items()
                 if k.startswith("{") and local(k) == name and not k.startswith(f"{{{ODM13}}}")),
                "")


def ordered(refs: list[ET.Element]) -> list[ET.Element]:
    """Refs by OrderNumber where given, else in document order (a stable sort keeps both)."""
    return sorted(refs, key=lambda r: int(r.get("OrderNumber") or 0)
                  if (r.get("OrderNumber") or "").isdigit() else 0)


def integer(text: str) -> int | None:
    return int(text) if text.strip().lstrip("-").isdigit() else None


def strip(oid: str, prefixes: tuple[str, ...]) -> str:
    return next((oid[len(p):] for p in prefixes if oid.startswith(p) and len(oid) > len(p)), oid)


def unique(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted, 2
    while candidate in taken:
        candidate, n = f"{wanted}_{n}", n + 1
    return candidate
