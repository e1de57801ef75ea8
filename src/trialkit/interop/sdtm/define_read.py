"""What the checker needs from a define.xml: each dataset's keys and each variable's CodeList."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


@dataclass(frozen=True)
class DefineInfo:
    keys: dict[str, list[str]] = field(default_factory=dict)
    """Dataset → its key variables in KeySequence order."""
    codelist_of: dict[tuple[str, str], str] = field(default_factory=dict)
    """(dataset, variable) → the OID of the CodeList its ItemDef refers to."""
    codelists: dict[str, frozenset[str]] = field(default_factory=dict)
    """CodeList OID → its coded values (external dictionaries, which list none, are left out)."""
    codelist_code: dict[str, str] = field(default_factory=dict)
    """CodeList OID → the NCI code of the CDISC codelist it draws from (its nci:ExtCodeID)."""


def read_define(path: Path) -> DefineInfo:
    root = ET.parse(path).getroot()
    items = {}
    for item in root.iter(f"{{{NS['odm']}}}ItemDef"):
        ref = item.find("odm:CodeListRef", NS)
        items[item.get("OID", "")] = (item.get("Name", ""),
                                      ref.get("CodeListOID", "") if ref is not None else "")
    info = DefineInfo()
    for group in root.iter(f"{{{NS['odm']}}}ItemGroupDef"):
        name, keyed = group.get("Name", ""), list[tuple[int, str]]()
        for ref in group.findall("odm:ItemRef", NS):
            variable, list_oid = items.get(ref.get("ItemOID", ""), ("", ""))
            if ref.get("KeySequence"):
                keyed.append((int(ref.get("KeySequence", "0")), variable))
            if list_oid:
                info.codelist_of[(name, variable)] = list_oid
        info.keys[name] = [v for _, v in sorted(keyed)]
    for codelist in root.iter(f"{{{NS['odm']}}}CodeList"):
        values = [i.get("CodedValue", "") for i in codelist
                  if i.tag in (f"{{{NS['odm']}}}CodeListItem", f"{{{NS['odm']}}}EnumeratedItem")]
        oid = codelist.get("OID", "")
        if codelist.find("odm:ExternalCodeList", NS) is None:
            info.codelists[oid] = frozenset(values)
        alias = codelist.find("odm:Alias[@Context='nci:ExtCodeID']", NS)
        if alias is not None:
            info.codelist_code[oid] = alias.get("Name", "")
    return info
