"""From the screening forms of one participant to the patient record
(docs/reference/patient-record.md), without a database.

The eligibility engine reads a ``PatientRecord``; the site enters case report forms. The
bridge is written in the protocol, not here: every item that feeds the record says where
(``maps_to``, trialkit.core.protocol.forms.RecordMapping), so any protocol gets its record
without a line of code naming its forms or items:

- ``patient.<field>``: the first entered value among the screening forms' instances;
- ``attestations.<key>``: a yes/no item; an unanswered item is absent, i.e. unknown;
- ``<table>.<column>``: the items of one form instance that map to one table make one row;
  items with a ``row`` make one row per ``row`` value, and items without one (the sample
  date) belong to each of them. A row exists when one of its own items was entered. ``set``
  fills constant columns (the analyte's LOINC code), a choice is translated through the
  mapping's ``codes`` or else its code list's ``concept`` (a code column) and kept as entered
  otherwise; an item feeding a quantity column also fills the row's ``unit`` from the item's
  unit; a date-time item feeds a date column with its (UTC) calendar date.

What the forms cannot say is left unknown rather than guessed: the record's observation period
is the screening window only (``index − eligibility.screening_window_days .. index``), so a
history criterion ("no cytotoxic in the last month") is ``unknown`` for the engine and an
investigator judges it.

Screening forms are those of the scheduled visits before study day 0. The web application
reads them from the database (``trialkit.web.trial.screening_record``); a standards export
reads them from the exchange rows; both build the record here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from trialkit.core.eligibility.record import PatientRecord, parse_record
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Item, RecordMapping
from trialkit.core.protocol.record import ATTESTATIONS, PATIENT_TABLE, QUANTITY_COMPANIONS

FormData = Mapping[str, Any]
"""One form instance's entered values, by item id."""


def screening_visit_ids(protocol: Protocol) -> tuple[str, ...]:
    """The scheduled visits before study day 0: their forms are the screening forms."""
    return tuple(v.id for v in protocol.schedule.visits if v.day is not None and v.day < 0)


def record_data(protocol: Protocol, patient_id: str, forms: Mapping[str, Sequence[FormData]],
                index_date: dt.date) -> dict[str, Any]:
    """The patient record (decoded JSON, the patient-record contract) the forms support."""
    start = index_date - dt.timedelta(days=protocol.eligibility.screening_window_days)
    data: dict[str, Any] = {
        "patient_id": patient_id, "index_date": index_date.isoformat(),
        "observation_period": {"start": start.isoformat(), "end": index_date.isoformat()},
        ATTESTATIONS: {},
    }
    reader = _Reader(protocol)
    for form in protocol.forms:
        mapped = [item for item in form.items if item.maps_to is not None]
        for values in forms.get(form.id, ()) if mapped else ():
            reader.fill(data, mapped, values)
    return data


def screening_record(protocol: Protocol, patient_id: str,
                     forms: Mapping[str, Sequence[FormData]], index_date: dt.date) -> PatientRecord:
    """Parsed record; a malformed entry raises ``RecordError`` naming the record field."""
    return parse_record(record_data(protocol, patient_id, forms, index_date),
                        protocol.record_schema(), protocol.lab_catalogue())


class _Reader:
    """Reads one form instance's mapped items into the record, with the protocol's schema
    (column types) and code lists (concepts) at hand."""

    def __init__(self, protocol: Protocol) -> None:
        schema = protocol.record_schema()
        self.types: dict[tuple[str, str], str] = {
            (PATIENT_TABLE, f.id): f.type for f in schema.patient}
        self.types.update({(t.id, c.id): c.type for t in schema.tables for c in t.columns})
        self.concepts = {c.id: {i.code: i.concept for i in c.items} for c in protocol.codelists}

    def fill(self, data: dict[str, Any], items: list[Item], values: FormData) -> None:
        by_table: dict[str, list[Item]] = {}
        for item in items:
            mapping = _mapping(item)
            if mapping.table == PATIENT_TABLE:
                value = self.value(item, values)
                if value is not None:
                    data.setdefault(mapping.column, value)
            elif mapping.table == ATTESTATIONS:
                if isinstance(values.get(item.id), bool):
                    data[ATTESTATIONS][mapping.column] = values[item.id]
            else:
                by_table.setdefault(mapping.table, []).append(item)
        for table, table_items in by_table.items():
            data.setdefault(table, []).extend(self.rows(table_items, values))

    def rows(self, items: list[Item], values: FormData) -> list[dict[str, Any]]:
        """The rows one form instance gives a table (see the module docstring)."""
        shared = [i for i in items if _mapping(i).row is None]
        keys = list(dict.fromkeys(_mapping(i).row for i in items if _mapping(i).row))
        groups = ([([i for i in items if _mapping(i).row == key], shared) for key in keys]
                  if keys else [(shared, [])])
        rows = []
        for own, common in groups:
            entered = self.columns(own, values)
            if entered:
                constants = {k: v for i in (*common, *own) for k, v in _mapping(i).set.items()}
                rows.append({**constants, **self.columns(common, values), **entered})
        return rows

    def columns(self, items: list[Item], values: FormData) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for item in items:
            mapping, value = _mapping(item), self.value(item, values)
            if value is None:
                continue
            row[mapping.column] = value
            if self.types.get((mapping.table, mapping.column)) == "quantity" and item.unit:
                row[QUANTITY_COMPANIONS[0]] = item.unit
        return row

    def value(self, item: Item, values: FormData) -> Any:
        """The entered value as the record column takes it (None: nothing to record)."""
        raw, mapping = values.get(item.id), _mapping(item)
        if raw is None:
            return None
        if item.type == "datetime":
            return str(raw)[:10]
        if item.type != "choice":
            return raw
        if str(raw) in mapping.codes:
            return mapping.codes[str(raw)]
        if (mapping.table != PATIENT_TABLE
                and self.types.get((mapping.table, mapping.column)) == "code"):
            return self.concepts.get(item.codelist or "", {}).get(str(raw))
        return raw


def _mapping(item: Item) -> RecordMapping:
    assert item.maps_to is not None  # callers pass mapped items only
    return item.maps_to
