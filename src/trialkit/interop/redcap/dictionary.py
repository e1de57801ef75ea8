"""A protocol's case report forms as a REDCap data dictionary.

Each form becomes an instrument and each item a field: a whole number is a ``text`` field
validated as ``integer``, a decimal ``number`` (``number_1dp`` … when its range has a step of
that many decimals), a date ``date_ymd``, a date-time ``datetime_ymd``, a yes/no item
``yesno``, a choice ``radio`` (``dropdown`` above five answers) with its code list as
``code, label | …``. Ranges fill the validation min/max, the unit the field note (else the
item's help: an item with both loses its help), required items ``Required Field?``, a birth
date ``Identifier?``. A derived item (computed by a trialkit scoring function REDCap cannot
run) is a read-only number. The protocol's items carry no display conditions, so no field has
branching logic.

Variable names are REDCap's: lower case, at most 26 characters, unique over the project. The
first form's first field is ``record_id``. Names that collide after that are made unique in
protocol order (``name_2``, ``name_3``), so the same protocol gives the same dictionary. The
trialkit ids a name came from (form, item, code list) travel in the field annotation, where
``trialkit protocol import-redcap`` reads them back.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from trialkit.core.hygiene.forms import BIRTH_DATE
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.interop.redcap import format as fmt

RECORD_ID = "record_id"
_NOT_NAME = re.compile(r"[^a-z0-9_]+")
_DROPDOWN_ABOVE = 5


def dictionary_csv(protocol: Protocol) -> str:
    """The data dictionary as CSV text (REDCap's header, one row per field)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fmt.HEADER)
    for row in dictionary_rows(protocol):
        writer.writerow([row.get(column, "") for column in fmt.HEADER])
    return out.getvalue()


def dictionary_rows(protocol: Protocol) -> list[dict[str, str]]:
    names = _Names()
    first_form = form_name(protocol.forms[0]) if protocol.forms else "study"
    rows = [{fmt.VARIABLE: names.claim(RECORD_ID), fmt.FORM: first_form, fmt.FIELD_TYPE: "text",
             fmt.LABEL: "Record ID"}]
    for form in protocol.forms:
        for index, item in enumerate(form.items):
            row = field_row(protocol, form, item, names.claim(variable_name(item.id)))
            if index == 0:
                row[fmt.ANNOTATION] += f" form={form.id} form_kind={form.kind}"
                row[fmt.SECTION] = form.name
            rows.append(row)
    return rows


def form_name(form: Form) -> str:
    return variable_name(form.id)


def variable_name(text: str) -> str:
    """``text`` as a REDCap name: lower case, ``_`` for other characters, a letter first."""
    name = _NOT_NAME.sub("_", text.lower()).strip("_") or "field"
    if not name[0].isalpha():
        name = f"v_{name}"
    return name[:fmt.MAX_VARIABLE_LENGTH].rstrip("_")


class _Names:
    """Hands out unique names in call order: a taken name gets ``_2``, ``_3`` … (shortened to
    stay within the length limit)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self.taken:
            number += 1
            suffix = f"_{number}"
            candidate = name[:fmt.MAX_VARIABLE_LENGTH - len(suffix)].rstrip("_") + suffix
        self.taken.add(candidate)
        return candidate


def field_row(protocol: Protocol, form: Form, item: Item, name: str) -> dict[str, str]:
    row = {fmt.VARIABLE: name, fmt.FORM: form_name(form), fmt.LABEL: item.label,
           fmt.NOTE: item.unit or item.help or "",
           fmt.REQUIRED: fmt.YES if item.required else "",
           fmt.IDENTIFIER: fmt.YES if _identifies(item) else ""}
    annotation = [f"trialkit: item={item.id}"]
    if item.help and not item.unit and item.type in ("integer", "decimal"):
        annotation.append("note=help")  # a numeric field's note is read back as its unit
    row.update(_type_columns(protocol, item, annotation))
    if item.range is not None:
        for column, bound in ((fmt.MIN, item.range.min), (fmt.MAX, item.range.max)):
            row[column] = "" if bound is None else _number(bound)
        if item.range.step is not None:
            annotation.append(f"step={_number(item.range.step)}")
    if item.derived is not None:
        annotation[:0] = ["@READONLY"]
        annotation.append(f"derived={item.derived.function}")
    row[fmt.ANNOTATION] = " ".join(annotation)
    return row


def _type_columns(protocol: Protocol, item: Item, annotation: list[str]) -> dict[str, str]:
    if item.type == "boolean":
        return {fmt.FIELD_TYPE: "yesno"}
    if item.type == "choice":
        assert item.codelist is not None  # a choice item has one (protocol model)
        codelist = protocol.codelist(item.codelist)
        annotation.append(f"codelist={codelist.id}")
        kind = "dropdown" if len(codelist.items) > _DROPDOWN_ABOVE else "radio"
        return {fmt.FIELD_TYPE: kind, fmt.CHOICES: " | ".join(
            f"{c.code}, {c.decode}" for c in codelist.items)}
    validation = {"integer": "integer", "date": "date_ymd", "datetime": "datetime_ymd",
                  "decimal": _decimal_validation(item)}.get(item.type, "")
    return {fmt.FIELD_TYPE: "text", fmt.VALIDATION: validation}


def _decimal_validation(item: Item) -> str:
    """``number``, or ``number_Ndp`` when the range's step has N (1–4) decimal places."""
    step = item.range.step if item.range is not None else None
    if step is None:
        return "number"
    exponent = Decimal(str(step)).normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"number_{places}dp" if 1 <= places <= 4 else "number"


def _identifies(item: Item) -> bool:
    """A birth date identifies a person (REDCap then leaves it out of de-identified exports)."""
    return item.maps_to is not None and item.maps_to.to == BIRTH_DATE


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
