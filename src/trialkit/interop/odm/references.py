"""What the ODM schema cannot check: that every OID a file refers to is defined in it.

The XSD checks each element's shape, not that an ItemData's ItemOID is an item of its group, a
FormData's form is one its event lists, a coded value is in the codelist, or an AuditRecord's
user and site exist in AdminData. ODM's specification requires all of these; a receiving EDC
rejects a file that breaks them. This reads only the written file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from trialkit.interop.odm.parse import ODM13, Parsed


def _qualify(path: str) -> str:
    return "/".join(part if part in (".", "") else f"{{{ODM13}}}{part}"
                    for part in path.split("/"))


class _Definitions:
    def __init__(self, root: ET.Element) -> None:
        def oids(path: str) -> dict[str, ET.Element]:
            return {e.get("OID", ""): e for e in root.findall(_qualify(path))}

        self.events = oids(".//MetaDataVersion/StudyEventDef")
        self.forms = oids(".//MetaDataVersion/FormDef")
        self.groups = oids(".//MetaDataVersion/ItemGroupDef")
        self.items = oids(".//MetaDataVersion/ItemDef")
        self.codelists = oids(".//MetaDataVersion/CodeList")
        self.units = oids(".//BasicDefinitions/MeasurementUnit")
        self.users = oids(".//AdminData/User")
        self.locations = oids(".//AdminData/Location")
        self.signatures = oids(".//AdminData/SignatureDef")

    def refs(self, element: ET.Element, ref: str, attribute: str) -> set[str]:
        return {r.get(attribute, "") for r in element.findall(_qualify(ref))}


def problems(parsed: Parsed) -> Iterator[str]:
    """``line: message`` for each reference to something the file does not define."""
    root, d = parsed.root, _Definitions(parsed.root)
    checks = [("StudyEventRef", "StudyEventOID", d.events), ("FormRef", "FormOID", d.forms),
              ("ItemGroupRef", "ItemGroupOID", d.groups), ("ItemRef", "ItemOID", d.items),
              ("CodeListRef", "CodeListOID", d.codelists),
              ("MeasurementUnitRef", "MeasurementUnitOID", d.units),
              ("UserRef", "UserOID", d.users), ("LocationRef", "LocationOID", d.locations),
              ("SiteRef", "LocationOID", d.locations),
              ("SignatureRef", "SignatureOID", d.signatures)]
    for tag, attribute, defined in checks:
        for ref in root.iter(f"{{{ODM13}}}{tag}"):
            if ref.get(attribute) not in defined:
                yield (f"{parsed.line(ref)}: {tag} {attribute}={ref.get(attribute)!r} is not "
                       "defined in the file")
    for event in root.iter(f"{{{ODM13}}}StudyEventData"):
        yield from _event(parsed, d, event)


def _event(parsed: Parsed, d: _Definitions, event: ET.Element) -> Iterator[str]:
    definition = d.events.get(event.get("StudyEventOID", ""))
    if definition is None:
        yield f"{parsed.line(event)}: StudyEventData of undefined {event.get('StudyEventOID')!r}"
        return
    for form in event.findall(_qualify("FormData")):
        if form.get("FormOID") not in d.refs(definition, "FormRef", "FormOID"):
            yield (f"{parsed.line(form)}: form {form.get('FormOID')!r} is not one of "
                   f"{definition.get('OID')!r}'s FormRefs")
            continue
        form_def = d.forms[form.get("FormOID", "")]
        for group in form.findall(_qualify("ItemGroupData")):
            if group.get("ItemGroupOID") not in d.refs(form_def, "ItemGroupRef", "ItemGroupOID"):
                yield (f"{parsed.line(group)}: item group {group.get('ItemGroupOID')!r} is not "
                       f"in form {form_def.get('OID')!r}")
                continue
            group_def = d.groups[group.get("ItemGroupOID", "")]
            yield from _items(parsed, d, group, group_def)


def _items(parsed: Parsed, d: _Definitions, group: ET.Element,
           group_def: ET.Element) -> Iterator[str]:
    allowed = d.refs(group_def, "ItemRef", "ItemOID")
    for item in group.findall(_qualify("ItemData")):
        oid = item.get("ItemOID", "")
        if oid not in allowed:
            yield f"{parsed.line(item)}: item {oid!r} is not in group {group_def.get('OID')!r}"
            continue
        codelist_ref = d.items[oid].find(_qualify("CodeListRef"))
        value = item.get("Value")
        if codelist_ref is None or value is None:
            continue
        codelist = d.codelists.get(codelist_ref.get("CodeListOID", ""))
        if codelist is not None and value not in d.refs(codelist, "CodeListItem", "CodedValue"):
            yield f"{parsed.line(item)}: {oid} = {value!r} is not a code of {codelist.get('OID')!r}"
