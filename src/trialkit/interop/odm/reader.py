"""An ODM 1.3.x study from another EDC, read into protocol form definitions.

What ODM says becomes protocol data: FormDefs (through their ItemGroupDefs, in order) become
forms; ItemDefs become items (type from DataType, range from RangeChecks, unit from the
MeasurementUnitRef, codelist from the CodeListRef, label from the Question); CodeLists become
codelists and StudyEventDefs visits. What ODM cannot say (a form's kind, who enters it, a
visit's day) is filled with defaults the skeleton lists for review. Anything that is not a
usable ODM 1.3 study is refused with the line, element and OID (``OdmImportError``).

Vendor conventions read here: REDCap names its instruments and fields in ``redcap:FormName``
and ``redcap:Variable`` and adds a ``<form>_complete`` status field to each instrument (left
out: it is REDCap's workflow, not data); OpenClinica and most EDCs prefix OIDs (``SE_``,
``F_``, ``IG_``, ``I_``), which are stripped to make ids.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from trialkit.interop.odm.elements import (
    IDENT,
    alias,
    cdisc_of,
    children,
    concept_of,
    extension,
    first,
    ident,
    integer,
    ordered,
    strip,
    text,
    unique,
)
from trialkit.interop.odm.metadata import ALIAS_CT, ALIAS_VARIABLE
from trialkit.interop.odm.parse import ODM13, ODM20, OdmImportError, Parsed, local, parse
from trialkit.interop.odm.study import Study

ODM_DATA_TYPES = {
    "integer": "integer", "float": "decimal", "double": "decimal", "text": "text",
    "string": "text", "date": "date", "datetime": "datetime", "boolean": "boolean",
    # Kept as text: trialkit has no partial dates, times, durations or URIs.
    "time": "text", "partialDate": "text", "partialTime": "text", "partialDatetime": "text",
    "incompleteDate": "text", "incompleteTime": "text", "incompleteDatetime": "text",
    "durationDatetime": "text", "intervalDatetime": "text", "URI": "text",
}
BINARY_TYPES = {"hexBinary", "base64Binary", "hexFloat", "base64Float"}
_LOWER = {"GE": False, "GT": True}
_UPPER = {"LE": False, "LT": True}


def read_study(data: bytes) -> Study:
    """The first study of an ODM 1.3.x file, its last MetaDataVersion, as protocol parts."""
    parsed = parse(data)
    root = parsed.root
    if root.tag.startswith(f"{{{ODM20}}}") or root.get("ODMVersion", "").startswith("2"):
        raise OdmImportError(
            f"{parsed.where(root)}: this is ODM 2.0 (namespace {ODM20}); only ODM 1.3.x is "
            "read: export the study as ODM 1.3.2")
    if root.tag != f"{{{ODM13}}}ODM":
        raise OdmImportError(f"{parsed.where(root)}: not an ODM 1.3 file (the root element must "
                             f"be ODM in the namespace {ODM13})")
    study = first(root, "Study")
    if study is None:
        raise OdmImportError(f"{parsed.where(root)}: the file has no Study")
    versions = children(study, "MetaDataVersion")
    if not versions:
        raise OdmImportError(f"{parsed.where(study)}: the study has no MetaDataVersion")
    return _Reader(parsed, study, versions[-1]).study()


class _Reader:
    def __init__(self, parsed: Parsed, study: ET.Element, mdv: ET.Element) -> None:
        self.parsed, self.mdv = parsed, mdv
        self.defs = {kind: self._index(kind) for kind in
                     ("StudyEventDef", "FormDef", "ItemGroupDef", "ItemDef", "CodeList")}
        definitions = first(study, "BasicDefinitions")
        self.units = {u.get("OID", ""): text(u, "Symbol") or u.get("Name", "")
                      for u in children(definitions, "MeasurementUnit")} if definitions else {}
        self.notes: list[str] = []
        self.codelists_used: dict[str, str] = {}
        self.form_ids: dict[str, str] = {}
        # REDCap declares repeating instruments in GlobalVariables, not on the FormDef.
        self.repeat_instruments = {extension(e, "RepeatInstrument") for e in study.iter()
                                   if local(e.tag) == "RepeatingInstrument"} - {""}

    def study(self) -> Study:
        forms = [form for form in map(self._form, self.defs["FormDef"].values()) if form]
        visits = self._visits()
        codelists = [self._codelist(self.defs["CodeList"][oid], codelist_id)
                     for oid, codelist_id in self.codelists_used.items()]
        return Study(forms=forms, codelists=codelists, visits=visits, notes=self.notes)

    def _index(self, kind: str) -> dict[str, ET.Element]:
        found: dict[str, ET.Element] = {}
        for element in children(self.mdv, kind):
            oid = element.get("OID")
            if not oid:
                raise OdmImportError(f"{self.parsed.where(element)}: {kind} has no OID")
            if oid in found:
                raise OdmImportError(f"{self.parsed.where(element)}: OID {oid!r} is defined "
                                     f"twice (first on line {self.parsed.line(found[oid])})")
            found[oid] = element
        return found

    def _lookup(self, kind: str, oid: str | None, referrer: ET.Element) -> ET.Element:
        target = self.defs[kind].get(oid or "")
        if target is None:
            raise OdmImportError(f"{self.parsed.where(referrer)} refers to {kind} {oid!r}, "
                                 "which the MetaDataVersion does not define")
        return target

    def _form(self, form: ET.Element) -> dict[str, Any] | None:
        form_name = extension(form, "FormName")
        form_id = ident(form_name or strip(form.get("OID", ""), ("Form.", "F.", "F_")))
        self.form_ids[form.get("OID", "")] = form_id
        items: list[dict[str, Any]] = []
        repeating = form.get("Repeating") == "Yes" or form_name in self.repeat_instruments
        for group_ref in ordered(children(form, "ItemGroupRef")):
            group = self._lookup("ItemGroupDef", group_ref.get("ItemGroupOID"), group_ref)
            repeating = repeating or group.get("Repeating") == "Yes"
            for item_ref in ordered(children(group, "ItemRef")):
                item_def = self._lookup("ItemDef", item_ref.get("ItemOID"), item_ref)
                if form_name and extension(item_def, "Variable") == f"{form_name}_complete":
                    continue  # REDCap's instrument status field
                item = self._item(item_def, item_ref, group)
                item["id"] = unique(item["id"], {i["id"] for i in items})
                items.append(item)
        if not items:
            self.notes.append(f"form {form_id} ({self.parsed.where(form)}) has no items; "
                              "left out")
            return None
        data: dict[str, Any] = {"id": form_id, "name": form.get("Name") or form_id}
        if repeating:  # a repeating item group is a repeating form in trialkit
            data["repeating"] = True
        return data | {"items": items}

    def _item(self, item: ET.Element, ref: ET.Element, group: ET.Element) -> dict[str, Any]:
        name = item.get("Name", "")
        item_id = ident(name if IDENT.match(name) else extension(item, "Variable")
                        or strip(item.get("OID", ""), ("I_",)))
        data: dict[str, Any] = {"id": item_id,
                                "label": text(item, "Question") or text(item, "Description")
                                or name or item_id,
                                "type": self._type(item)}
        codelist_ref = first(item, "CodeListRef")
        if codelist_ref is not None and data["type"] != "boolean":
            codelist = self._lookup("CodeList", codelist_ref.get("CodeListOID"), codelist_ref)
            oid = codelist.get("OID", "")
            data |= {"type": "choice", "codelist": self.codelists_used.setdefault(
                oid, ident(strip(oid, ("CL.", "CL_"))))}
        unit_ref = first(item, "MeasurementUnitRef")
        if unit_ref is not None:
            unit_oid = unit_ref.get("MeasurementUnitOID", "")
            if unit_oid not in self.units:
                raise OdmImportError(f"{self.parsed.where(item)} refers to MeasurementUnit "
                                     f"{unit_oid!r}, which BasicDefinitions does not define")
            data["unit"] = self.units[unit_oid]
        if data["type"] in ("integer", "decimal") and (bounds := self._range(item)):
            data["range"] = bounds
        if ref.get("Mandatory") == "Yes":
            data["required"] = True
        if text(item, "Question") and (help_text := text(item, "Description")):
            data["help"] = help_text
        if cdisc := cdisc_of(item, group):
            data["cdisc"] = cdisc
        return data

    def _type(self, item: ET.Element) -> str:
        data_type = item.get("DataType", "")
        if data_type in BINARY_TYPES:
            raise OdmImportError(f"{self.parsed.where(item)}: DataType {data_type!r} (binary "
                                 "data) has no protocol item type")
        if data_type not in ODM_DATA_TYPES:
            raise OdmImportError(f"{self.parsed.where(item)}: DataType {data_type!r} is not an "
                                 f"ODM 1.3.2 data type ({', '.join(sorted(ODM_DATA_TYPES))})")
        return ODM_DATA_TYPES[data_type]

    def _range(self, item: ET.Element) -> dict[str, float]:
        """GE/GT give the minimum and LE/LT the maximum (a strict bound on an integer moves by
        one; on a decimal it is kept as the closed bound, noted)."""
        bounds: dict[str, float] = {}
        for check in children(item, "RangeCheck"):
            comparator, values = check.get("Comparator", ""), children(check, "CheckValue")
            if comparator not in _LOWER | _UPPER or len(values) != 1:
                continue
            try:
                number = float((values[0].text or "").strip())
            except ValueError:
                raise OdmImportError(f"{self.parsed.where(check)} of {self.parsed.where(item)}: "
                                     f"CheckValue {values[0].text!r} is not a number") from None
            strict = (_LOWER | _UPPER)[comparator]
            if strict and item.get("DataType") == "integer":
                number += 1 if comparator in _LOWER else -1
            elif strict:
                self.notes.append(f"{self.parsed.where(item)}: the strict bound {comparator} "
                                  f"{number:g} is kept as a closed bound")
            bounds["min" if comparator in _LOWER else "max"] = number
        return bounds

    def _codelist(self, codelist: ET.Element, codelist_id: str) -> dict[str, Any]:
        entries = children(codelist, "CodeListItem") or children(codelist, "EnumeratedItem")
        if not entries:
            raise OdmImportError(f"{self.parsed.where(codelist)}: the codelist has no items")
        items = []
        for entry in entries:
            code = entry.get("CodedValue", "")
            item: dict[str, Any] = {"code": code, "decode": text(entry, "Decode") or code}
            if submission := alias(entry, ALIAS_VARIABLE):
                item["submission_value"] = submission
            if concept := concept_of(entry):
                item["concept"] = concept
            items.append(item)
        data: dict[str, Any] = {"id": codelist_id, "name": codelist.get("Name") or codelist_id}
        if codelist.get("DataType") == "integer":
            data["data_type"] = "integer"
        if ct := alias(codelist, ALIAS_CT):
            data["cdisc_codelist"] = ct
        return data | {"items": items}

    def _visits(self) -> list[dict[str, Any]]:
        events = self.defs["StudyEventDef"]
        protocol = first(self.mdv, "Protocol")
        refs = ordered(children(protocol, "StudyEventRef")) if protocol is not None else []
        order = [self._lookup("StudyEventDef", r.get("StudyEventOID"), r) for r in refs]
        order += [e for e in events.values() if e not in order]
        visits, day = [], 0
        for event in order:
            forms = [self._form_id(ref) for ref in ordered(children(event, "FormRef"))]
            offset = integer(extension(event, "DayOffset"))
            if event.get("Type") == "Common" and offset is None:
                continue  # forms saved at any time, as trialkit's forms outside visits
            visit: dict[str, Any] = {
                "id": ident(strip(event.get("OID", ""), ("Event.", "SE.", "SE_"))),
                "name": event.get("Name") or event.get("OID", "")}
            if event.get("Type") == "Unscheduled":
                visit |= {"day": None, "unscheduled": True}
            elif offset is not None:  # REDCap's day offset and window of an event
                visit["day"], day = offset, max(day, offset + 1)
                window = {side: integer(extension(event, name)) for side, name in
                          (("before", "OffsetMin"), ("after", "OffsetMax"))}
                if any(window.values()):
                    visit["window"] = {k: v for k, v in window.items() if v}
            else:
                visit["day"], day = day, day + 1
            if purpose := text(event, "Description"):
                visit["purpose"] = purpose
            visits.append(visit | {"forms": [f for f in forms if f is not None]})
        return visits

    def _form_id(self, ref: ET.Element) -> str | None:
        self._lookup("FormDef", ref.get("FormOID"), ref)
        return self.form_ids.get(ref.get("FormOID", ""))
