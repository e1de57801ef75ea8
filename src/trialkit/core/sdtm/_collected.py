"""What the event, intervention and findings domains share: reading a form record's annotated
items as SDTM values, and placing a record in time (VISITNUM, VISIT, --DY, EPOCH).

A form item says where it goes (``cdisc: {domain, variable}``); a domain takes the items that
name it, from every form, whatever the form's id. A variable the SDTMIG does not define for
the domain goes to the SUPP-- dataset under its own name as QNAM (``supplemental``), so an
annotation is never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from trialkit.core.adam.rows import FormRow
from trialkit.core.adam.values import as_date, as_text
from trialkit.core.protocol.analysis_datasets import date_item
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.protocol.reading import revealing_administrations
from trialkit.core.sdtm.common import Context, Domain, DomainClass, Kind, Variable, iso_date
from trialkit.core.sdtm.epochs import epoch

Row = dict[str, Any]


def var(name: str, label: str, kind: Kind = "text", role: str = "", codelist: str = "",
        origin: str = "Derived") -> Variable:
    return Variable(name, label, kind, role, codelist, origin)


RELATED = (
    var("STUDYID", "Study Identifier", role="Identifier"),
    var("RDOMAIN", "Related Domain Abbreviation", role="Identifier", codelist="C66734"),
    var("USUBJID", "Unique Subject Identifier", role="Identifier"),
    var("IDVAR", "Identifying Variable", role="Identifier"),
    var("IDVARVAL", "Identifying Variable Value", role="Identifier"))
"""The keys by which SUPP-- and RELREC point at a parent record."""
SUPP_VARIABLES = (
    *RELATED,
    var("QNAM", "Qualifier Variable Name", role="Topic"),
    var("QLABEL", "Qualifier Variable Label", role="Synonym Qualifier"),
    var("QVAL", "Data Value", role="Result Qualifier", origin="Collected"),
    var("QORIG", "Origin", role="Record Qualifier"),
    var("QEVAL", "Evaluator", role="Record Qualifier"))


def identifiers(domain: str) -> tuple[Variable, ...]:
    return (var("STUDYID", "Study Identifier", role="Identifier"),
            var("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734"),
            var("USUBJID", "Unique Subject Identifier", role="Identifier"),
            var(f"{domain}SEQ", "Sequence Number", "integer", "Identifier"))


def timing(domain: str, day_label: str = "Study Day of Start", *, start: str = "ST") \
        -> tuple[Variable, ...]:
    """VISITNUM, VISIT, EPOCH and the study day of the record's date."""
    return (var("VISITNUM", "Visit Number", "float", "Timing"),
            var("VISIT", "Visit Name", role="Timing"),
            var("EPOCH", "Epoch", role="Timing", codelist="C99079"),
            var(f"{domain}{start}DY", day_label, "integer", "Timing"))


def annotated(form: Form, domain: str) -> tuple[Item, ...]:
    """The items of ``form`` annotated with ``domain``."""
    return tuple(i for i in form.items if i.cdisc is not None and i.cdisc.domain == domain)


def forms_naming(context: Context, domain: str) -> dict[str, Form]:
    """The forms with an item annotated ``domain``, by id. For a blinded reader, a form that
    records whether an arm-dependent procedure was real or sham is left out even if its rows
    reached us: nothing derived from it may stand in a blinded dataset."""
    found = {}
    for form in context.protocol.forms:
        if not annotated(form, domain):
            continue
        if context.rows.blinded and revealing_administrations(context.protocol, form):
            continue
        found[form.id] = form
    return found


def records(context: Context, forms: Mapping[str, Form]) -> Iterator[tuple[Form, FormRow]]:
    """The latest version of every record of ``forms`` for a participant the rows know."""
    known = {p.key for p in context.rows.trial.participants}
    for row in context.rows.trial.forms:
        form = forms.get(row.form)
        if form is not None and row.participant in known:
            yield form, row


def collected(context: Context, item: Item, value: object) -> str:
    """An item's value as SDTM text: ISO 8601 for dates and date-times (to the minute, UTC),
    the CDISC submission value of a choice, Y/N for a yes/no; ``""`` when not entered."""
    if item.type == "datetime":
        return dtc(value)
    return as_text(item, value, context.protocol)


def dtc(value: object) -> str:
    """ISO 8601 text of a stored date (``YYYY-MM-DD``) or date-time (ISO 8601, UTC)."""
    if isinstance(value, dt.datetime | dt.date):
        return iso_date(value)
    if isinstance(value, str) and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return iso_date(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    found = as_date(value)
    return found.isoformat() if found else ""


def moment(when: str) -> dt.date | dt.datetime | None:
    """ISO 8601 text as the date-time it names (UTC; to the minute), or the date alone: EPOCH
    tells a record timed before the first dose on its day from one after it."""
    if "T" in when:
        try:
            stamp = dt.datetime.fromisoformat(when)
        except ValueError:
            return as_date(when)
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return as_date(when)


def record_date(form: Form, row: FormRow) -> str:
    """The form record's date as ISO 8601 (its --DTC/--STDTC item, else its first date)."""
    item = date_item(form)
    return dtc(row.data.get(item.id)) if item is not None else ""


def place(context: Context, domain: str, participant: int, visit: str, when: str,
          *, start: str = "ST") -> Row:
    """STUDYID, DOMAIN, USUBJID, VISITNUM, VISIT, EPOCH and --DY for a record dated ``when``
    (ISO 8601 text) collected at ``visit`` (empty for a log not tied to a visit)."""
    day = as_date(when)
    row: Row = {"STUDYID": context.studyid, "DOMAIN": domain,
                "USUBJID": context.usubjid(participant),
                f"{domain}{start}DY": context.study_day(participant, day),
                "EPOCH": epoch(context, participant, moment(when)) if day is not None else ""}
    if visit:
        row["VISITNUM"] = context.visit_number(visit)
        row["VISIT"] = context.visit_name(visit)
    return row


def annotated_values(context: Context, form: Form, row: FormRow, domain: str) -> Row:
    """Every item of the record annotated ``domain`` with a variable, as SDTM text, and
    --CAT from the annotations' category when no item collects it.

    A yes/no item annotated --ENRTPT ("ongoing?") becomes ONGOING or BEFORE relative to the
    visit it was collected at (--ENTPT), the CDISC way of saying "still present then"."""
    values: Row = {}
    for item in annotated(form, domain):
        name = item.cdisc.variable if item.cdisc is not None else None
        if not name:
            continue
        value = collected(context, item, row.data.get(item.id))
        if name.endswith("ENRTPT") and item.type == "boolean" and value:
            value = "ONGOING" if value == "Y" else "BEFORE"
            values[f"{domain}ENTPT"] = context.visit_name(row.visit)
        values[name] = value
    category = next((i.cdisc.category for i in annotated(form, domain)
                     if i.cdisc is not None and i.cdisc.variable and i.cdisc.category), None)
    if category and not values.get(f"{domain}CAT"):
        values[f"{domain}CAT"] = category
    return values


def extra_variables(context: Context, domain: str, standard: Iterable[str]) -> dict[str, str]:
    """Annotated variables of ``domain`` that the SDTMIG does not define for it: QNAM → the
    first item's label (QLABEL, at most 40 characters)."""
    known = set(standard)
    extra: dict[str, str] = {}
    for form in forms_naming(context, domain).values():
        for item in annotated(form, domain):
            name = item.cdisc.variable if item.cdisc is not None else None
            if name and name not in known:
                extra.setdefault(name, item.label[:40])
    return extra


def supplemental(context: Context, parent: str, rows: Sequence[Row],
                 qualifiers: Mapping[str, str]) -> list[Domain]:
    """SUPP<parent>: one record per parent record and non-standard qualifier with a value,
    keyed to the parent by --SEQ; the qualifiers are removed from the parent rows."""
    if not qualifiers:
        return []
    records_: list[Row] = []
    for row in rows:
        for qnam, qlabel in qualifiers.items():
            value = row.pop(qnam, "")
            if value not in ("", None):
                records_.append({
                    "STUDYID": row["STUDYID"], "RDOMAIN": parent, "USUBJID": row["USUBJID"],
                    "IDVAR": f"{parent}SEQ", "IDVARVAL": str(row[f"{parent}SEQ"]),
                    "QNAM": qnam, "QLABEL": qlabel, "QVAL": value, "QORIG": "CRF",
                    "QEVAL": ""})
    records_.sort(key=lambda r: (r["USUBJID"], int(r["IDVARVAL"]), r["QNAM"]))
    return [build(f"SUPP{parent}", f"Supplemental Qualifiers for {parent}", "Relationship",
                  SUPP_VARIABLES, tuple(records_),
                  ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"))]


def present(variables: Sequence[Variable], keep: Iterable[str]) -> tuple[Variable, ...]:
    """The domain's variables named in ``keep`` (required, expected, and those the protocol's
    annotations can fill), in the domain's order: a permissible variable nothing in the
    protocol collects is left out, whatever the data of the day."""
    wanted = set(keep)
    return tuple(v for v in variables if v.name in wanted)


def annotated_names(context: Context, domain: str) -> set[str]:
    """Every variable the protocol's items fill for ``domain``: the annotated ones, --CAT
    where an annotation gives a category, --ENTPT beside an annotated --ENRTPT."""
    items = [i for form in forms_naming(context, domain).values()
             for i in annotated(form, domain) if i.cdisc is not None and i.cdisc.variable]
    names = {i.cdisc.variable for i in items if i.cdisc is not None and i.cdisc.variable}
    if any(i.cdisc is not None and i.cdisc.category for i in items):
        names.add(f"{domain}CAT")
    if f"{domain}ENRTPT" in names:
        names.add(f"{domain}ENTPT")
    return names


def build(name: str, label: str, domain_class: DomainClass, variables: Sequence[Variable],
          rows: Iterable[Row], keys: tuple[str, ...]) -> Domain:
    """The domain with each row holding exactly its variables (a missing one as None), so a
    working value (a category no test has) never reaches a writer."""
    names = [v.name for v in variables]
    shaped = tuple({n: row.get(n) for n in names} for row in rows)
    return Domain(name, label, domain_class, tuple(variables), shaped, keys)
