"""Value-level metadata of a Findings dataset: its result variables described per test code
(def:ValueListDef → ItemDef per --TESTCD, selected by a def:WhereClauseDef on --TESTCD), so a
reviewer sees that EDSS0101 is a number and a lab test's unit is mg/dL, not "text, 200"."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from trialkit.core.sdtm import Domain
from trialkit.interop.sdtm.columns import Column
from trialkit.interop.sdtm.datasetjson import item_oid
from trialkit.interop.sdtm.odmxml import d, o, text

RESULT_SUFFIXES = ("ORRES", "ORRESU", "STRESC", "STRESN", "STRESU")


@dataclass
class ValueLevel:
    """The elements value-level metadata adds to a define, and which ItemDefs point at them."""

    value_lists: list[ET.Element] = field(default_factory=list)
    where_clauses: list[ET.Element] = field(default_factory=list)
    item_defs: list[ET.Element] = field(default_factory=list)
    list_of: dict[str, str] = field(default_factory=dict)
    """Parent ItemDef OID → the OID of its ValueListDef."""


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _type(values: Sequence[object]) -> tuple[str, int, int | None]:
    """(DataType, Length, SignificantDigits) of one test's values."""
    texts = [str(v) for v in values]
    numbers = [_number(v) for v in values]
    length = max(len(t) for t in texts)
    if all(n is not None and n.is_integer() and "." not in t for n, t in zip(numbers, texts,
                                                                               strict=True)):
        return "integer", length, None
    if all(n is not None for n in numbers):
        return "float", length, max(len(t.split(".")[1]) if "." in t else 0 for t in texts)
    return "text", length, None


def _where(domain: Domain, testcd: str, value: str) -> ET.Element:
    clause = ET.Element(d("WhereClauseDef"), {"OID": f"WC.{domain.name}.{testcd}.{value}"})
    check = ET.SubElement(clause, o("RangeCheck"), {
        "Comparator": "EQ", "SoftHard": "Soft", d("ItemOID"): item_oid(domain.name, testcd)})
    ET.SubElement(check, o("CheckValue")).text = value
    return clause


def value_level(domain: Domain, cols: Sequence[Column]) -> ValueLevel:
    level = ValueLevel()
    testcd = domain.name[:2] + "TESTCD"
    if testcd not in {c.name for c in cols}:
        return level
    tests = sorted({str(r[testcd]) for r in domain.rows if r.get(testcd) not in (None, "")})
    level.where_clauses = [_where(domain, testcd, t) for t in tests]
    for column in cols:
        if column.name[2:] not in RESULT_SUFFIXES:
            continue
        value_list = ET.Element(d("ValueListDef"), {"OID": f"VL.{domain.name}.{column.name}"})
        for test in tests:
            values = [r[column.name] for r in domain.rows if str(r.get(testcd)) == test
                      and r.get(column.name) not in (None, "")]
            if not values:
                continue
            oid = f"{item_oid(domain.name, column.name)}.{test}"
            ref = ET.SubElement(value_list, o("ItemRef"), {
                "ItemOID": oid, "OrderNumber": str(len(value_list) + 1), "Mandatory": "No"})
            ET.SubElement(ref, d("WhereClauseRef"),
                          {"WhereClauseOID": f"WC.{domain.name}.{testcd}.{test}"})
            level.item_defs.append(_item(oid, column, test, values))
        if len(value_list):
            level.value_lists.append(value_list)
            level.list_of[item_oid(domain.name, column.name)] = value_list.get("OID", "")
    return level


def _item(oid: str, column: Column, test: str, values: Sequence[object]) -> ET.Element:
    data_type, length, digits = _type(values)
    attributes = {"OID": oid, "Name": column.name, "DataType": data_type,
                  "Length": str(length), "SASFieldName": column.name}
    if digits is not None:
        attributes["SignificantDigits"] = str(digits)
    item = ET.Element(o("ItemDef"), attributes)
    text(item, o("Description"), f"{column.label} for {test}")
    origin = {"Type": column.origin}
    if column.origin == "Collected":
        origin["Source"] = "Investigator"
    ET.SubElement(item, d("Origin"), origin)
    return item
