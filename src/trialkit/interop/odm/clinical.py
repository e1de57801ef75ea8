"""ClinicalData: the participants' form data as a Snapshot or as Transactional history.

A Snapshot holds the latest version of each form record as of the rows' day. A Transactional
file replays the audit trail: one FormData per saved version (Insert for the first, Update
after), holding only the items that version changed (Insert, Update, or Remove when a value was
cleared), each with its AuditRecord (who, at which site, when, why); each e-signature follows
the version it signs, in a FormData of TransactionType Context. Arms are never written: ODM has
no standard place for them, and a blinded reader's rows hold none.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trialkit.core.exchange import ExchangeRows, SignatureRow, VersionRow
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.interop.odm import oids
from trialkit.interop.odm.admin import signature_defs
from trialkit.interop.odm.writer import sub


class OdmExportError(ValueError):
    """The rows do not fit the protocol's metadata (a form or participant it does not know)."""


@dataclass(frozen=True)
class _Place:
    """Where a form record sits in ODM's hierarchy: subject, event, form and their keys."""

    subject: str
    site: str
    event: str
    event_key: str | None
    form: Form
    form_key: str | None


class _Places:
    def __init__(self, protocol: Protocol, rows: ExchangeRows) -> None:
        self._forms = {f.id: f for f in protocol.forms}
        self._repeating_events = {v.id for v in protocol.schedule.visits if v.unscheduled}
        self._participants = {p.key: p for p in rows.trial.participants}
        self._event_order = {oids.event(v.id): n for n, v in enumerate(protocol.schedule.visits)}

    def order(self, place: _Place) -> tuple[int, int, int, int]:
        """Protocol order: visits as scheduled (forms saved outside a visit last), forms as
        the protocol lists them, then repeats."""
        form_order = list(self._forms).index(place.form.id)
        return (self._event_order.get(place.event, len(self._event_order)),
                int(place.event_key or 0), form_order, int(place.form_key or 0))

    def of(self, participant: int, form_id: str, visit: str, repeat: int) -> _Place:
        form, person = self._forms.get(form_id), self._participants.get(participant)
        if form is None:
            raise OdmExportError(f"form {form_id!r} of the data is not in the protocol")
        if person is None:
            raise OdmExportError(f"participant {participant} has form data but no participant row")
        repeating_event = not visit or visit in self._repeating_events
        event_key = ("1" if form.repeating else str(repeat)) if repeating_event else None
        return _Place(person.screening_number, person.site, oids.event(visit), event_key, form,
                      str(repeat) if form.repeating else None)


def add_snapshot(parent: ET.Element, protocol: Protocol, rows: ExchangeRows,
                 study_oid: str, mdv_oid: str) -> None:
    clinical = sub(parent, "ClinicalData", {"StudyOID": study_oid, "MetaDataVersionOID": mdv_oid})
    places = _Places(protocol, rows)
    by_subject: dict[int, list[tuple[_Place, Mapping[str, Any]]]] = {}
    for row in rows.trial.forms:
        place = places.of(row.participant, row.form, row.visit, row.repeat)
        by_subject.setdefault(row.participant, []).append((place, row.data))
    for person in sorted(rows.trial.participants, key=lambda p: p.screening_number):
        subject = sub(clinical, "SubjectData", {"SubjectKey": person.screening_number})
        sub(subject, "SiteRef", {"LocationOID": oids.location(person.site)})
        event_elements: dict[tuple[str, str | None], ET.Element] = {}
        records = sorted(by_subject.get(person.key, []), key=lambda pd: places.order(pd[0]))
        for place, data in records:
            key = (place.event, place.event_key)
            if key not in event_elements:
                event_elements[key] = sub(subject, "StudyEventData", {
                    "StudyEventOID": place.event, "StudyEventRepeatKey": place.event_key})
            form = sub(event_elements[key], "FormData",
                       {"FormOID": oids.form(place.form.id), "FormRepeatKey": place.form_key})
            group = sub(form, "ItemGroupData", {"ItemGroupOID": oids.item_group(place.form.id)})
            for item_id, value in _present(place.form, data):
                sub(group, "ItemData", {"ItemOID": oids.item(place.form.id, item_id),
                                        "Value": oids.value(value)})


def add_transactions(parent: ET.Element, protocol: Protocol, rows: ExchangeRows,
                     study_oid: str, mdv_oid: str) -> None:
    clinical = sub(parent, "ClinicalData", {"StudyOID": study_oid, "MetaDataVersionOID": mdv_oid})
    places = _Places(protocol, rows)
    meanings = signature_defs(rows)
    previous: dict[tuple[int, str, str, int], Mapping[str, Any]] = {}
    for moment, entry in sorted(_history(rows), key=lambda pair: pair[0]):
        del moment
        if isinstance(entry, VersionRow):
            key = (entry.participant, entry.form, entry.visit, entry.repeat)
            place = places.of(*key)
            _version(clinical, place, entry, previous.get(key, {}))
            previous[key] = entry.data
        else:
            place = places.of(entry.participant, entry.form, entry.visit, entry.repeat)
            _signature(clinical, place, entry, meanings[entry.meaning])


def _history(rows: ExchangeRows) -> Iterable[tuple[tuple[Any, ...], VersionRow | SignatureRow]]:
    """Versions and signatures in the order they happened (a signature after the version it
    signs, ties broken by the record's keys so the order never depends on the rows' order)."""
    for v in rows.versions:
        yield (_utc(v.saved_at), 0, v.participant, v.form, v.visit, v.repeat, v.number, ""), v
    for s in rows.signatures:
        yield (_utc(s.signed_at), 1, s.participant, s.form, s.visit, s.repeat, s.version,
               s.signer), s


def _version(clinical: ET.Element, place: _Place, version: VersionRow,
             before: Mapping[str, Any]) -> None:
    form = _form_data(clinical, place, "Insert" if version.number == 1 else "Update")
    _audit(form, version, place)
    group = sub(form, "ItemGroupData", {"ItemGroupOID": oids.item_group(place.form.id),
                                        "TransactionType": "Upsert"})
    for item in place.form.items:
        old, new = before.get(item.id), version.data.get(item.id)
        if old == new:
            continue
        attributes = {"ItemOID": oids.item(place.form.id, item.id)}
        if new is None:
            attributes |= {"TransactionType": "Remove", "IsNull": "Yes"}
        else:
            attributes |= {"TransactionType": "Insert" if old is None else "Update",
                           "Value": oids.value(new)}
        _audit(sub(group, "ItemData", attributes), version, place)


def _signature(clinical: ET.Element, place: _Place, signature: SignatureRow,
               definition: str) -> None:
    form = _form_data(clinical, place, "Context")
    element = sub(form, "Signature", {"ID": _signature_id(place, signature)})
    sub(element, "UserRef", {"UserOID": oids.user(signature.signer)})
    sub(element, "LocationRef", {"LocationOID": oids.location(place.site)})
    sub(element, "SignatureRef", {"SignatureOID": definition})
    sub(element, "DateTimeStamp", text=oids.timestamp(signature.signed_at))


def _signature_id(place: _Place, signature: SignatureRow) -> str:
    """Names the signed version: subject, event, form, repeat, version number and signer."""
    return ".".join(("SIG", place.subject, place.event, place.form.id, str(signature.repeat),
                     f"v{signature.version}", signature.signer))


def _form_data(clinical: ET.Element, place: _Place, transaction: str) -> ET.Element:
    subject = sub(clinical, "SubjectData",
                  {"SubjectKey": place.subject, "TransactionType": "Upsert"})
    sub(subject, "SiteRef", {"LocationOID": oids.location(place.site)})
    event = sub(subject, "StudyEventData", {
        "StudyEventOID": place.event, "StudyEventRepeatKey": place.event_key,
        "TransactionType": "Upsert"})
    return sub(event, "FormData", {"FormOID": oids.form(place.form.id),
                                   "FormRepeatKey": place.form_key, "TransactionType": transaction})


def _audit(parent: ET.Element, version: VersionRow, place: _Place) -> None:
    audit = sub(parent, "AuditRecord")
    sub(audit, "UserRef", {"UserOID": oids.user(version.saved_by)})
    sub(audit, "LocationRef", {"LocationOID": oids.location(place.site)})
    sub(audit, "DateTimeStamp", text=oids.timestamp(version.saved_at))
    if version.reason:
        sub(audit, "ReasonForChange", text=version.reason)


def _present(form: Form, data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The form's items that hold a value, in the form's order (keys the form no longer
    defines are not ODM items of this metadata version and are left out)."""
    return [(item.id, data[item.id]) for item in form.items if data.get(item.id) is not None]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
