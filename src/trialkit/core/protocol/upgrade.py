"""``trialkit protocol upgrade``: a format-1 protocol file rewritten as format 2, losslessly.

Format 1 left part of a protocol's meaning to conventions in trialkit's code; format 2 writes
it in the file (docs/adr/0007). The upgrade carries over everything a format-1 file states and
writes out what format 1's conventions made of it, so the upgraded protocol screens, enrols
and captures exactly as before:

- ``design.screening_window_days`` is dropped (format 2 states the window once, under
  ``eligibility``); the two must have agreed.
- Each form gets its ``kind`` and ``entered_by`` from format 1's rules: a form with a boolean
  ``serious`` item and a ``ctcae_grade`` item was an adverse-event form, entered under
  ``report_adverse_event``; a form with a derived item checked against an entered one was an
  assessment, which roles that only assess could enter; any other form was entered by roles
  with ``enter_data`` and some site-work permission.
- Format 1's built-in edit checks become ``checks``: an item ``<prefix>end_date`` not before
  ``<prefix>onset_date`` / ``<prefix>start_date``, and on an adverse-event form, seriousness
  agreeing with its ``sae_<criterion>`` boxes. Their items get the CDISC annotations format 2
  needs to recognise an adverse-event form.
- A derivation's input list becomes a mapping from the function's parameters, in order.
- Roles get ``notified_of`` from format 1's rules: serious events went to the roles that
  review safety and to roles whose id or name mentions the sponsor; an emergency unblinding
  to the safety committee's roles and to study-wide roles without permissions.
- Format 1 had tables and functions built in that format 2 expects the protocol to declare
  (``record``). ``library`` supplies them (``protocols/library/*.yaml`` holds the ones format
  1 had); the upgrade adds the ones the criteria use.

The item ids named above are format 1's own vocabulary (its code keyed on them); nothing else
here knows a form or item by id. What format 1 could not say at all (which item feeds which
patient-record field, CDISC annotations beyond the adverse-event ones) is listed in the notes
for the protocol's authors to add.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, MutableSequence
from dataclasses import dataclass, field
from typing import Any

FORMAT_1 = "trialkit-protocol/1"
FORMAT_2 = "trialkit-protocol/2"
# Format 1's item vocabulary (trialkit 0.1: core/forms/kinds.py and core/forms/checks.py).
_SERIOUS, _GRADE, _TERM = "serious", "ctcae_grade", "term"
_ENDS, _STARTS = "end_date", ("onset_date", "start_date")
_SERIOUSNESS = {  # format 1's criterion item → its SDTM variable
    "sae_death": "AESDTH", "sae_life_threatening": "AESLIFE",
    "sae_hospitalisation": "AESHOSP", "sae_disability": "AESDISAB",
    "sae_congenital_anomaly": "AESCONG", "sae_medically_important": "AESMIE",
}
_SITE_WORK = {"screen", "consent", "enrol", "record_administration", "report_adverse_event",
              "sign"}
_DEFAULT_WINDOW = 28


class UpgradeError(ValueError):
    """A format-1 file that cannot be upgraded without a decision by its authors."""


@dataclass
class Upgraded:
    notes: list[str] = field(default_factory=list)


def upgrade(data: MutableMapping[str, Any], library: MutableMapping[str, Any] | None = None
            ) -> Upgraded:
    """Rewrite ``data`` (a format-1 protocol as loaded from YAML) in place as format 2."""
    if data.get("format") != FORMAT_1:
        raise UpgradeError(f"format: expected {FORMAT_1}, got {data.get('format')!r}")
    result = Upgraded()
    data["format"] = FORMAT_2
    _screening_window(data)
    roles = list(data.get("roles") or [])
    for form in data.get("forms") or []:
        _form(form, roles)
    for role in roles:
        _notifications(role)
    if library is not None:
        _record_from(data, library, result)
    result.notes += _unmapped(data)
    return result


def _screening_window(data: MutableMapping[str, Any]) -> None:
    design, elig = data.get("design") or {}, data.get("eligibility") or {}
    stated = design.pop("screening_window_days", None)
    kept = elig.get("screening_window_days", _DEFAULT_WINDOW)
    if stated is not None and stated != kept:
        raise UpgradeError(f"design.screening_window_days ({stated}) and "
                           f"eligibility.screening_window_days ({kept}) disagree; format 2 "
                           "states the window once: make them equal first")
    # Interpretations that governed the dropped setting now govern the one that remains.
    for interpretation in data.get("interpretations") or []:
        governs = interpretation.get("governs")
        if governs and "design.screening_window_days" in governs:
            kept_paths = [g for g in governs if g != "design.screening_window_days"]
            if "eligibility.screening_window_days" not in kept_paths:
                kept_paths.append("eligibility.screening_window_days")
            governs[:] = kept_paths


def _items(form: MutableMapping[str, Any]) -> dict[str, MutableMapping[str, Any]]:
    return {str(item.get("id")): item for item in form.get("items") or []}


def _form(form: MutableMapping[str, Any], roles: list[MutableMapping[str, Any]]) -> None:
    items = _items(form)
    adverse = (items.get(_SERIOUS, {}).get("type") == "boolean" and _GRADE in items)
    assessment = any((item.get("derived") or {}).get("check_against") for item in items.values())
    kind = "adverse_event" if adverse else "assessment" if assessment else "other"
    _put(form, "kind", kind, after="name")
    _put(form, "entered_by", [role["id"] for role in roles if _may_enter(role, adverse,
                                                                         assessment)],
         after="kind")
    checks = list(_date_order_checks(items))
    if adverse:
        _annotate_adverse_event(items)
        checks += _seriousness_checks(items)
    if checks:
        form["checks"] = checks
    for item in items.values():
        derived = item.get("derived")
        if derived is not None and isinstance(derived.get("inputs"), MutableSequence):
            derived["inputs"] = _by_parameter(derived)


def _may_enter(role: MutableMapping[str, Any], adverse: bool, assessment: bool) -> bool:
    can = set(role.get("can") or [])
    if adverse:
        return "report_adverse_event" in can
    return "enter_data" in can and (bool(_SITE_WORK & can) or assessment)


def _date_order_checks(items: dict[str, MutableMapping[str, Any]]
                       ) -> Iterator[dict[str, str]]:
    for item_id in items:
        if not item_id.endswith(_ENDS):
            continue
        prefix = item_id[: -len(_ENDS)]
        for start in (prefix + s for s in _STARTS):
            if start in items:
                yield {"id": f"{item_id}_after_{start}", "expression": f"{item_id} >= {start}",
                       "message": f"{items[item_id].get('label', item_id)} is before "
                                  f"{items[start].get('label', start)}",
                       "item": item_id}


def _annotate_adverse_event(items: dict[str, MutableMapping[str, Any]]) -> None:
    variables = {_TERM: "AETERM", _SERIOUS: "AESER", _GRADE: "AETOXGR",
                 _ENDS: "AEENDTC", **dict.fromkeys(_STARTS, "AESTDTC"), **_SERIOUSNESS}
    for item_id, variable in variables.items():
        if item_id in items and "cdisc" not in items[item_id]:
            items[item_id]["cdisc"] = {"domain": "AE", "variable": variable}


def _seriousness_checks(items: dict[str, MutableMapping[str, Any]]) -> list[dict[str, str]]:
    criteria = [item_id for item_id in _SERIOUSNESS if item_id in items]
    if not criteria:
        return []
    listed = ", ".join(criteria)
    return [
        {"id": "serious_needs_a_criterion", "expression": f"any({listed})",
         "when": f"{_SERIOUS} == true", "item": _SERIOUS,
         "message": "The event is marked serious but no seriousness criterion is ticked"},
        {"id": "criterion_means_serious", "expression": f"{_SERIOUS} == true",
         "when": f"any({listed})", "item": _SERIOUS,
         "message": "A seriousness criterion is ticked but the event is not marked serious"},
    ]


def _by_parameter(derived: MutableMapping[str, Any]) -> dict[str, str]:
    from trialkit.core.scoring.derivations import derivation

    names = derivation(str(derived.get("function"))).inputs
    given = [str(x) for x in derived["inputs"]]
    if names is None or len(names) != len(given):
        raise UpgradeError(f"derived.inputs of {derived.get('function')}: expected "
                           f"{len(names or ())} items, got {len(given)}")
    return dict(zip(names, given, strict=True))


def _notifications(role: MutableMapping[str, Any]) -> None:
    can = set(role.get("can") or [])
    words = f"{role.get('id', '')} {role.get('name', '')}".lower()
    heard: list[str] = []
    if "review_safety" in can or "sponsor" in words:
        heard.append("serious_adverse_event")
    if {"review_safety", "decide_safety"} & can or (role.get("site_scoped") is False
                                                    and not can):
        heard.append("emergency_unblinding")
    if heard:
        role["notified_of"] = heard


def _record_from(data: MutableMapping[str, Any], library: MutableMapping[str, Any],
                 result: Upgraded) -> None:
    """Copy the library's tables and functions into the protocol's ``record`` section."""
    section = library.get("record") or {}
    record = data.setdefault("record", {})
    for key in ("tables", "functions"):
        name = "id" if key == "tables" else "name"
        present = {entry.get(name) for entry in record.get(key) or []}
        added = [entry for entry in section.get(key) or [] if entry.get(name) not in present]
        if added:
            record.setdefault(key, []).extend(added)
            result.notes.append(f"record.{key}: added {', '.join(e[name] for e in added)} from "
                                "the library")


def _unmapped(data: MutableMapping[str, Any]) -> list[str]:
    """Screening items that feed no patient-record field: format 1 could not say."""
    screening = {v.get("id") for v in (data.get("schedule") or {}).get("visits") or []
                 if isinstance(v.get("day"), int) and v["day"] < 0}
    forms = {form for v in (data.get("schedule") or {}).get("visits") or []
             if v.get("id") in screening for form in v.get("forms") or []}
    notes = []
    for form in data.get("forms") or []:
        if form.get("id") not in forms:
            continue
        loose = [i["id"] for i in form.get("items") or [] if "maps_to" not in i]
        if loose:
            notes.append(f"forms[{form['id']}]: {', '.join(loose)} feed no patient-record "
                         "field; add `maps_to` where screening should read them")
    return notes


def _put(mapping: MutableMapping[str, Any], key: str, value: Any, *, after: str) -> None:
    """Set a key, placing it after ``after`` when the mapping keeps an order it can insert
    into (ruamel's round-trip maps), so the upgraded file reads in the usual order."""
    insert = getattr(mapping, "insert", None)
    if key not in mapping and insert is not None and after in mapping:
        insert(list(mapping).index(after) + 1, key, value)
    else:
        mapping[key] = value
