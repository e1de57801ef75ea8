"""Define-XML 2.1 for the SDTM datasets trialkit writes.

One ItemGroupDef per dataset (structure, class, keys, the .xpt as def:leaf), one ItemDef per
variable (data type, length, origin), a CodeList per CDISC codelist used (terms with their NCI
codes as ``Alias Context="nci:ExtCodeID"``; a value outside the vendored terms is marked
``def:ExtendedValue``), a MethodDef per derived variable. OIDs follow the CDISC MSG sample's
conventions (IG., IT., CL., MT., COM., LF.). The file validates against the Define-XML 2.1
schema bundled in ``odmlib`` (see ``validate.py``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from trialkit.core.sdtm import Domain
from trialkit.interop.sdtm.columns import Column, columns
from trialkit.interop.sdtm.ct import Terminology, terminology
from trialkit.interop.sdtm.datasetjson import Study, item_oid
from trialkit.interop.sdtm.methods import method_text
from trialkit.interop.sdtm.odmxml import XLINK, d, o, text
from trialkit.interop.sdtm.rules import TRIAL_DESIGN, table_key
from trialkit.interop.sdtm.valuelists import value_level

SDTMIG_VERSION = "3.4"


def _structure(domain: Domain) -> str:
    if domain.name == "DM":
        return "One record per subject"
    keys = [k for k in domain.keys if k not in ("STUDYID", "DOMAIN")]
    return "One record per " + ", ".join(keys) if keys else "One record per row"


def _item_group(domain: Domain, cols: Sequence[Column]) -> ET.Element:
    reference = table_key(domain.name) in TRIAL_DESIGN
    group = ET.Element(o("ItemGroupDef"), {
        "OID": f"IG.{domain.name}", "Name": domain.name,
        "Domain": domain.name[4:] if domain.name.startswith("SUPP") else domain.name[:2],
        "Repeating": "No" if domain.name == "DM" or reference else "Yes",
        "IsReferenceData": "Yes" if reference else "No", "SASDatasetName": domain.name,
        d("Structure"): _structure(domain), "Purpose": "Tabulation",
        d("StandardOID"): "STD.SDTMIG", d("ArchiveLocationID"): f"LF.{domain.name}"})
    text(group, o("Description"), domain.label)
    for order, column in enumerate(cols, start=1):
        ref = {"ItemOID": item_oid(domain.name, column.name), "OrderNumber": str(order),
               "Mandatory": "Yes" if column.mandatory else "No"}
        if column.key_sequence is not None:
            ref["KeySequence"] = str(column.key_sequence)
        if column.origin == "Derived":
            ref["MethodOID"] = f"MT.{domain.name}.{column.name}"
        if column.role:
            ref["Role"] = column.role
        ET.SubElement(group, o("ItemRef"), ref)
    _class(group, domain)
    leaf = ET.SubElement(group, d("leaf"), {"ID": f"LF.{domain.name}",
                                             f"{{{XLINK}}}href": f"{domain.name.lower()}.xpt"})
    ET.SubElement(leaf, d("title")).text = f"{domain.name.lower()}.xpt"
    return group


def _class(group: ET.Element, domain: Domain) -> None:
    """def:Class; Findings About is a SubClass of FINDINGS in Define-XML 2.1."""
    if domain.domain_class == "Findings About":
        element = ET.SubElement(group, d("Class"), {"Name": "FINDINGS"})
        ET.SubElement(element, d("SubClass"), {"Name": "FINDINGS ABOUT"})
        return
    ET.SubElement(group, d("Class"), {"Name": domain.domain_class.upper().replace("-", " ")})


def _item_def(domain: Domain, column: Column, ct: Terminology,
              value_lists: dict[str, str]) -> ET.Element:
    attributes = {"OID": item_oid(domain.name, column.name), "Name": column.name,
                  "DataType": column.data_type, "SASFieldName": column.name}
    if column.length is not None:
        attributes["Length"] = str(column.length)
    if column.significant_digits is not None:
        attributes["SignificantDigits"] = str(column.significant_digits)
    item = ET.Element(o("ItemDef"), attributes)
    text(item, o("Description"), column.label)
    if column.codelist and ct.get(column.codelist) is not None:
        ET.SubElement(item, o("CodeListRef"), {"CodeListOID": _codelist_oid(column.codelist, ct)})
    if item.get("OID") in value_lists:
        ET.SubElement(item, d("ValueListRef"), {"ValueListOID": value_lists[item.get("OID", "")]})
    origin = {"Type": column.origin}
    if column.origin == "Collected":
        origin["Source"] = "Investigator"
    ET.SubElement(item, d("Origin"), origin)
    return item


def _codelist_oid(code: str, ct: Terminology) -> str:
    codelist = ct.get(code)
    return f"CL.{codelist.short or code}" if codelist is not None else f"CL.{code}"


def _codelists(domains: Sequence[Domain], ct: Terminology) -> list[ET.Element]:
    used: dict[str, set[str]] = {}
    for domain in domains:
        for column in columns(domain):
            if column.codelist and ct.get(column.codelist) is not None:
                values = {str(v) for v in domain.column(column.name) if v not in (None, "")}
                used.setdefault(column.codelist, set()).update(values)
    elements = []
    for code in sorted(used, key=lambda c: int(c[1:]) if c[1:].isdigit() else 0):
        codelist = ct.codelists[code]
        element = ET.Element(o("CodeList"), {
            "OID": _codelist_oid(code, ct), "Name": codelist.name, "DataType": "text",
            d("StandardOID"): "STD.CT"})
        for order, value in enumerate(sorted(used[code] or set(codelist.terms)), start=1):
            attributes = {"CodedValue": value, "OrderNumber": str(order)}
            if value not in codelist:
                attributes[d("ExtendedValue")] = "Yes"
            term = ET.SubElement(element, o("EnumeratedItem"), attributes)
            if codelist.terms.get(value):
                ET.SubElement(term, o("Alias"), {"Context": "nci:ExtCodeID",
                                                  "Name": str(codelist.terms[value])})
        ET.SubElement(element, o("Alias"), {"Context": "nci:ExtCodeID", "Name": code})
        elements.append(element)
    return elements


def _methods(domains: Sequence[Domain]) -> list[ET.Element]:
    elements = []
    for domain in domains:
        for column in columns(domain):
            if column.origin != "Derived":
                continue
            method = ET.Element(o("MethodDef"), {
                "OID": f"MT.{domain.name}.{column.name}",
                "Name": f"Algorithm to derive {domain.name}.{column.name}",
                "Type": "Computation"})
            text(method, o("Description"), method_text(domain.name, column.name, column.label))
            elements.append(method)
    return elements


def _standards(parent: ET.Element, ct: Terminology) -> None:
    standards = ET.SubElement(parent, d("Standards"))
    ET.SubElement(standards, d("Standard"), {
        "OID": "STD.SDTMIG", "Name": "SDTMIG", "Type": "IG", "Version": SDTMIG_VERSION,
        "Status": "Final"})
    ET.SubElement(standards, d("Standard"), {
        "OID": "STD.CT", "Name": "CDISC/NCI", "Type": "CT", "PublishingSet": "SDTM",
        "Version": ct.version, "Status": "Final"})


def define_xml(domains: Sequence[Domain], study: Study, *, description: str) -> ET.ElementTree:
    ct = terminology()
    root = ET.Element(o("ODM"), {
        "ODMVersion": "1.3.2", "FileType": "Snapshot", "FileOID": f"{study.oid}/define",
        "CreationDateTime": study.created, "Originator": "trialkit",
        "SourceSystem": "trialkit", "SourceSystemVersion": study.system_version,
        d("Context"): "Submission"})
    study_element = ET.SubElement(root, o("Study"), {"OID": study.oid})
    globals_ = ET.SubElement(study_element, o("GlobalVariables"))
    for tag, value in (("StudyName", study.name), ("StudyDescription", description),
                       ("ProtocolName", study.name)):
        ET.SubElement(globals_, o(tag)).text = value
    version = ET.SubElement(study_element, o("MetaDataVersion"), {
        "OID": study.metadata_version, "Name": f"SDTM datasets of {study.name}",
        d("DefineVersion"): "2.1.0", d("CommentOID"): "COM.MDV"})
    _standards(version, ct)
    per_domain = [(domain, columns(domain)) for domain in domains]
    levels = [value_level(domain, cols) for domain, cols in per_domain]
    value_lists = {k: v for level in levels for k, v in level.list_of.items()}
    version.extend(e for level in levels for e in level.value_lists)
    version.extend(e for level in levels for e in level.where_clauses)
    version.extend(_item_group(domain, cols) for domain, cols in per_domain)
    version.extend(_item_def(domain, c, ct, value_lists) for domain, cols in per_domain
                   for c in cols)
    version.extend(e for level in levels for e in level.item_defs)
    version.extend(_codelists(domains, ct))
    version.extend(_methods(domains))
    comment = ET.SubElement(version, d("CommentDef"), {"OID": "COM.MDV"})
    text(comment, o("Description"),
          "Derived by trialkit from the protocol file and the trial database as of "
          f"{study.created[:10]}; controlled terminology from {ct.package} (subsets).")
    ET.indent(root)
    return ET.ElementTree(root)


def write_define(path: Path, domains: Sequence[Domain], study: Study, *,
                 description: str) -> None:
    define_xml(domains, study, description=description).write(
        path, encoding="UTF-8", xml_declaration=True)
