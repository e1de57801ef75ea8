"""The study's metadata as ODM: what every form asks, at which visit, in which units and codes.

One protocol form becomes one FormDef with one ItemGroupDef holding its items (trialkit's forms
have no sub-groups); a visit becomes a StudyEventDef listing its forms, and forms saved outside
any visit (``COMMON_EVENT``: the unscheduled forms and the repeating logs) get a
StudyEventDef of type Common. Items keep their label (Question), help (Description), type,
range (RangeChecks), unit, codelist and CDISC annotation (Aliases, read back by the importer).
A blinded reader's clinical file carries a ``readable_part`` of the protocol: only the forms
of its rows, visits named by their ids.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from trialkit.core.protocol import Protocol, protocol_version
from trialkit.core.protocol.forms import Cdisc, CodeList, Form, Item
from trialkit.core.protocol.schedule import Visit
from trialkit.interop.odm import oids
from trialkit.interop.odm.writer import XML_NS, sub, translated

DATA_TYPES = {"integer": "integer", "decimal": "float", "text": "text", "date": "date",
              "datetime": "datetime", "boolean": "boolean"}
"""trialkit item type → ODM DataType; a choice takes its codelist's type."""
ALIAS_VARIABLE = "SDTM"
ALIAS_TESTCD = "SDTM.TESTCD"
ALIAS_TEST = "SDTM.TEST"
ALIAS_CATEGORY = "SDTM.CAT"
ALIAS_CT = "nci:ExtCodeID"
"""Alias contexts of the CDISC annotation; the last is the one Define-XML uses for C-codes."""
ALIAS_CONCEPT = "concept"
"""A code's standard concept is an Alias whose Context is its system (``SNOMED``); this one
for a concept written without a system."""


def add_study(parent: ET.Element, protocol: Protocol, *, version: str | None = None,
              blinded: bool = False) -> ET.Element:
    """The Study element; ``version`` is the whole protocol's (given when ``protocol`` is a
    ``readable_part`` of it). For a blinded reader the titles and the version are left out:
    they may name what the arms receive (a sham procedure)."""
    identity = protocol.identity
    study = sub(parent, "Study", {"OID": oids.study(identity.id)})
    variables = sub(study, "GlobalVariables")
    sub(variables, "StudyName", text=identity.acronym or identity.id)
    sub(variables, "StudyDescription", text=f"{identity.id}: case report forms" if blinded
        else identity.official_title or identity.brief_title)
    sub(variables, "ProtocolName", text=identity.org_study_id)
    units = oids.units([i.unit for f in protocol.forms for i in f.items if i.unit])
    definitions = sub(study, "BasicDefinitions")
    for symbol, oid in units.items():
        unit = sub(definitions, "MeasurementUnit", {"OID": oid, "Name": symbol})
        translated(unit, "Symbol", symbol)
    _metadata_version(study, protocol, units, version or protocol_version(protocol), blinded)
    return study


def _metadata_version(study: ET.Element, protocol: Protocol, units: dict[str, str],
                      version: str, blinded: bool) -> None:
    mdv = sub(study, "MetaDataVersion", {
        "OID": oids.metadata_version(version), "Name": f"{protocol.identity.id} protocol forms",
        "Description": None if blinded else f"Protocol version {version}"})
    events = _events(protocol)
    protocol_element = sub(mdv, "Protocol")
    for n, (oid, _, _) in enumerate(events, start=1):
        sub(protocol_element, "StudyEventRef",
            {"StudyEventOID": oid, "OrderNumber": str(n), "Mandatory": "No"})
    for oid, visit, forms in events:
        _event(mdv, oid, visit, forms)
    for form in protocol.forms:
        _form(mdv, form)
    for form in protocol.forms:
        _item_group(mdv, form)
    for form in protocol.forms:
        for item in form.items:
            _item(mdv, protocol, form, item, units)
    for codelist in protocol.codelists:
        _codelist(mdv, codelist)


def _events(protocol: Protocol) -> list[tuple[str, Visit | None, tuple[str, ...]]]:
    """(OID, visit, form ids) of each visit, then the common event: the forms no visit asks
    for and the repeating logs, which may also be saved outside a visit (a relapse reported by
    telephone)."""
    events: list[tuple[str, Visit | None, tuple[str, ...]]] = [
        (oids.event(v.id), v, v.forms) for v in protocol.schedule.visits]
    scheduled = {f for v in protocol.schedule.visits for f in v.forms}
    common = tuple(f.id for f in protocol.forms if f.id not in scheduled or f.repeating)
    if common:
        events.append((oids.COMMON_EVENT, None, common))
    return events


def _event(mdv: ET.Element, oid: str, visit: Visit | None, forms: tuple[str, ...]) -> None:
    if visit is None:
        element = sub(mdv, "StudyEventDef", {"OID": oid, "Name": "Forms saved outside a visit",
                                             "Repeating": "Yes", "Type": "Common"})
    else:
        element = sub(mdv, "StudyEventDef", {
            "OID": oid, "Name": visit.name, "Repeating": "Yes" if visit.unscheduled else "No",
            "Type": "Unscheduled" if visit.unscheduled else "Scheduled"})
        if visit.purpose:
            translated(element, "Description", visit.purpose)
    for n, form_id in enumerate(forms, start=1):
        sub(element, "FormRef", {"FormOID": oids.form(form_id), "OrderNumber": str(n),
                                 "Mandatory": "Yes" if visit and not visit.unscheduled else "No"})


def _form(mdv: ET.Element, form: Form) -> None:
    element = sub(mdv, "FormDef", {"OID": oids.form(form.id), "Name": form.name,
                                   "Repeating": "Yes" if form.repeating else "No"})
    sub(element, "ItemGroupRef",
        {"ItemGroupOID": oids.item_group(form.id), "OrderNumber": "1", "Mandatory": "Yes"})


def _item_group(mdv: ET.Element, form: Form) -> None:
    domains = {i.cdisc.domain for i in form.items if i.cdisc is not None}
    element = sub(mdv, "ItemGroupDef", {
        "OID": oids.item_group(form.id), "Name": form.name, "Repeating": "No",
        "Domain": domains.pop() if len(domains) == 1 else None})
    for n, item in enumerate(form.items, start=1):
        sub(element, "ItemRef", {"ItemOID": oids.item(form.id, item.id), "OrderNumber": str(n),
                                 "Mandatory": "Yes" if item.required else "No"})


def _item(mdv: ET.Element, protocol: Protocol, form: Form, item: Item,
          units: dict[str, str]) -> None:
    codelist = protocol.codelist(item.codelist) if item.codelist else None
    data_type = DATA_TYPES.get(item.type) or ("integer" if codelist and
                                               codelist.data_type == "integer" else "text")
    length, digits = _length(item, codelist)
    element = sub(mdv, "ItemDef", {
        "OID": oids.item(form.id, item.id), "Name": item.id, "DataType": data_type,
        "Length": length, "SignificantDigits": digits})
    if item.help:
        translated(element, "Description", item.help)
    question = translated(element, "Question", item.label)
    question[0].set(f"{{{XML_NS}}}lang", "en")
    if item.unit:
        sub(element, "MeasurementUnitRef", {"MeasurementUnitOID": units[item.unit]})
    bounds = (item.range.min, item.range.max) if item.range else (None, None)
    for comparator, bound in zip(("GE", "LE"), bounds, strict=True):
        if bound is not None:
            check = sub(element, "RangeCheck", {"Comparator": comparator, "SoftHard": "Soft"})
            sub(check, "CheckValue", text=_number(bound, item.type))
    if codelist is not None:
        sub(element, "CodeListRef", {"CodeListOID": oids.codelist(codelist.id)})
    if item.cdisc is not None:
        _aliases(element, item.cdisc)


def _aliases(element: ET.Element, cdisc: Cdisc) -> None:
    if cdisc.variable:
        sub(element, "Alias",
            {"Context": ALIAS_VARIABLE, "Name": f"{cdisc.domain}.{cdisc.variable}"})
    if cdisc.testcd:
        sub(element, "Alias", {"Context": ALIAS_TESTCD, "Name": f"{cdisc.domain}.{cdisc.testcd}"})
    if cdisc.test:
        sub(element, "Alias", {"Context": ALIAS_TEST, "Name": cdisc.test})
    if cdisc.category:
        sub(element, "Alias", {"Context": ALIAS_CATEGORY, "Name": cdisc.category})
    if cdisc.codelist:
        sub(element, "Alias", {"Context": ALIAS_CT, "Name": cdisc.codelist})


def _codelist(mdv: ET.Element, codelist: CodeList) -> None:
    element = sub(mdv, "CodeList", {"OID": oids.codelist(codelist.id), "Name": codelist.name,
                                    "DataType": codelist.data_type})
    for n, entry in enumerate(codelist.items, start=1):
        code = sub(element, "CodeListItem", {"CodedValue": entry.code, "OrderNumber": str(n)})
        translated(code, "Decode", entry.decode)
        if entry.submission_value:
            sub(code, "Alias", {"Context": ALIAS_VARIABLE, "Name": entry.submission_value})
        if entry.concept:
            system, _, concept = entry.concept.rpartition(":")
            sub(code, "Alias", {"Context": system or ALIAS_CONCEPT, "Name": concept})
    if codelist.cdisc_codelist:
        sub(element, "Alias", {"Context": ALIAS_CT, "Name": codelist.cdisc_codelist})


def _length(item: Item, codelist: CodeList | None) -> tuple[str | None, str | None]:
    """ODM 1.3.2's Length (characters) and SignificantDigits (decimals) where the protocol
    fixes them: from the codes of a codelist, the digits of a range and of its step."""
    if codelist is not None:
        return str(max(len(entry.code) for entry in codelist.items)), None
    if item.type not in ("integer", "decimal") or item.range is None:
        return None, None
    if item.type == "decimal" and item.range.step is None:
        return None, None  # no granularity given: a length would reject legitimate values
    bounds = [b for b in (item.range.min, item.range.max, item.range.step) if b is not None]
    if not bounds:
        return None, None
    decimals = max(_decimals(b) for b in bounds) if item.type == "decimal" else 0
    whole = max(len(str(int(abs(b)))) for b in bounds)
    sign = 1 if any(b < 0 for b in bounds) else 0
    length = whole + sign + (decimals + 1 if decimals else 0)
    return str(length), (str(decimals) if item.type == "decimal" else None)


def _decimals(number: float) -> int:
    exponent = Decimal(repr(number)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _number(bound: float, item_type: str) -> str:
    return str(int(bound)) if item_type == "integer" or bound.is_integer() else repr(bound)
