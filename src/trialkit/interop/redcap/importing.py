"""A REDCap data dictionary as protocol forms, items and code lists.

Instruments become forms (kind ``other`` unless the dictionary came from trialkit), fields
items: a text field's validation gives its type (``date_*`` a date, ``datetime_*`` a
date-time, ``integer`` a whole number, ``number*`` a decimal; any other text stays text),
``notes`` is text, ``yesno``/``truefalse`` a yes/no item, ``dropdown``/``radio`` a choice over a
code list made from its choices (identical choice lists share one), ``checkbox`` one yes/no
item per choice named as REDCap names their data (``field___code``), ``slider`` a whole number
from its min (0) to its max (100), ``calc`` a decimal whose formula is kept in its help (the
protocol computes only with named scoring functions). ``descriptive`` and ``file`` fields hold
no data the protocol can take and are listed as skipped, with the record identifier (the first
field). A numeric field's note is its unit (unless trialkit marked it ``note=help``), any
other's its help. Branching logic has no counterpart in the protocol's items: it is checked (it
may name only the dictionary's fields) and reported as skipped.

A dictionary trialkit wrote carries its ids in the field annotations (``trialkit: item=…
form=… codelist=… step=…``); they are used when present, so export → import gives the forms
back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trialkit.interop.redcap import format as fmt
from trialkit.interop.redcap.reading import (
    Choice,
    DictionaryError,
    Field,
    Problem,
    number,
    read_dictionary,
)

_NO_DATA = {"descriptive": "shows text only", "file": "an uploaded file",
            "sql": "a database query"}


@dataclass
class Imported:
    """The protocol sections (plain data, as in the protocol file) and what was left out."""

    forms: list[dict[str, Any]] = field(default_factory=list)
    codelists: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def sections(self) -> dict[str, Any]:
        return {"codelists": self.codelists, "forms": self.forms}


def import_dictionary(text: str, entered_by: Sequence[str]) -> Imported:
    """The dictionary's forms (entered by the given roles); DictionaryError if malformed."""
    fields = read_dictionary(text)
    builder = _Builder(tuple(entered_by))
    builder.skipped.append(f"row {fields[0].row}: '{fields[0].name}' is the record identifier")
    for f in fields[1:]:
        builder.add(f)
    if builder.problems:
        raise DictionaryError(builder.problems)
    return Imported(builder.finished_forms(), list(builder.codelists.values()), builder.skipped)


class _Builder:
    def __init__(self, entered_by: tuple[str, ...]) -> None:
        self.entered_by = entered_by
        self.forms: dict[str, dict[str, Any]] = {}
        self.codelists: dict[str, dict[str, Any]] = {}
        self.by_choices: dict[tuple[Choice, ...], str] = {}
        self.skipped: list[str] = []
        self.problems: list[Problem] = []

    def add(self, f: Field) -> None:
        if f[fmt.BRANCHING]:
            self.skipped.append(f"row {f.row}: the branching logic of '{f.name}'")
        if f.type in _NO_DATA:
            self.skipped.append(f"row {f.row}: '{f.name}' ({f.type}: {_NO_DATA[f.type]})")
            return
        form = self._form(f)
        if f.type == "checkbox":
            for choice in f.choices:
                form["items"].append({"id": f"{f.name}___{choice.code}", "type": "boolean",
                                      "label": f"{f[fmt.LABEL]}: {choice.label}"})
            return
        form["items"].append(self._item(f))

    def _form(self, f: Field) -> dict[str, Any]:
        name = f[fmt.FORM]
        if name not in self.forms:
            form_id = f.annotation.get("form", name)
            title = f[fmt.SECTION] if "form" in f.annotation and f[fmt.SECTION] else \
                name.replace("_", " ").capitalize()
            self.forms[name] = {"id": form_id, "name": title,
                                "kind": f.annotation.get("form_kind", "other"),
                                "entered_by": list(self.entered_by), "items": []}
        return self.forms[name]

    def _item(self, f: Field) -> dict[str, Any]:
        kind = _item_type(f)
        item: dict[str, Any] = {"id": f.annotation.get("item", f.name), "label": f[fmt.LABEL],
                                "type": kind}
        note = f[fmt.NOTE]
        if note:
            numeric = kind in ("integer", "decimal") and f.annotation.get("note") != "help"
            item["unit" if numeric else "help"] = note
        if kind == "choice":
            item["codelist"] = self._codelist(f)
        if kind in ("integer", "decimal"):
            bounds = _range(f)
            if bounds:
                item["range"] = bounds
        if f.type == "calc":
            item["help"] = f"Calculated in REDCap: {f[fmt.CHOICES]}"
        if f[fmt.REQUIRED].lower() == fmt.YES and f.type != "calc":
            item["required"] = True
        return item

    def _codelist(self, f: Field) -> str:
        wanted = f.annotation.get("codelist")
        known = self.by_choices.get(f.choices)
        if known is not None and wanted in (None, known):
            return known
        codelist_id = wanted or f"{f.name}_codes"
        if codelist_id in self.codelists:
            self.problems.append(Problem(f.row, fmt.CHOICES, f"code list '{codelist_id}' is "
                                         "given other choices in an earlier row"))
            return codelist_id
        self.codelists[codelist_id] = {
            "id": codelist_id, "name": codelist_id,
            "items": [{"code": c.code, "decode": c.label} for c in f.choices]}
        self.by_choices.setdefault(f.choices, codelist_id)
        return codelist_id

    def finished_forms(self) -> list[dict[str, Any]]:
        return [form for form in self.forms.values() if form["items"]]


def _item_type(f: Field) -> str:
    if f.type in ("yesno", "truefalse"):
        return "boolean"
    if f.type in fmt.CHOICE_TYPES:
        return "choice"
    if f.type == "slider":
        return "integer"
    if f.type == "calc":
        return "decimal"
    validation = f.validation
    for types, kind in ((fmt.DATE_TYPES, "date"), (fmt.DATETIME_TYPES, "datetime"),
                        (fmt.INTEGER_TYPES, "integer"), (fmt.NUMBER_TYPES, "decimal")):
        if validation in types:
            return kind
    return "text"


def _range(f: Field) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    defaults = ("0", "100") if f.type == "slider" else ("", "")
    for key, column, default in (("min", fmt.MIN, defaults[0]), ("max", fmt.MAX, defaults[1])):
        value = number(f[column] or default) if (f[column] or default) else None
        if value is not None:
            bounds[key] = int(value) if value == value.to_integral_value() else float(value)
    step = number(f.annotation.get("step", "")) if "step" in f.annotation else None
    if step is not None:
        bounds["step"] = int(step) if step == step.to_integral_value() else float(step)
    return bounds
