"""Findings (RS, NV, LB, VS, and any other domain a protocol's items name with a test code):
one row per test per form record.

An item annotated ``{domain, testcd, test, category}`` is a test; the record's date is the item
annotated --DTC on the same form; an item annotated with another variable of the domain is a
qualifier of every test of the record (LBSPEC), except a reference limit (--ORNRLO/--ORNRHI),
which belongs to its own result (``range_limits``: the protocol pairs them by record row).
The result as collected (--ORRES, with the item's unit) is also the standard result
(--STRESC/--STRESN/--STRESU): no unit is converted. Units are written as CDISC's UNIT
codelist spells them (``Cel`` collected is ``C``). RSCAT is the annotation's category, else
the instrument prefix of the QRS test name (``KFSS1`` of ``KFSS1-Pyramidal Functions``).
A scale form whose date is annotated (``RSDTC``) but whose items carry no test code reports
its entered numeric items under its analysis dataset's parameter codes (``tests_of``).
--BLFL marks the last record with a result before the first administration (a date-only
record on that day counts as before: it is the pre-dose assessment); SDTMIG 3.3 expects it.
Relapse findings about an event (FA) are ``relapses``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trialkit.core.adam.values import as_number
from trialkit.core.protocol.analysis_datasets import bds_spec, range_limits
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.protocol.model import Protocol
from trialkit.core.sdtm._collected import (
    Row,
    build,
    collected,
    dtc,
    forms_naming,
    identifiers,
    place,
    present,
    records,
    var,
)
from trialkit.core.sdtm.common import Context, Domain, Kind, Variable, iso_date, with_sequence

EVENT_FINDINGS = "FA"
QRS_DOMAINS = ("RS", "QS", "FT")
"""Questionnaire, rating and scale domains, whose test names carry the instrument's prefix."""
UNITS = {"Cel": "C", "[degF]": "F", "s": "sec", "µmol/L": "umol/L", "μmol/L": "umol/L",
         "10*9/L": "10^9/L", "10*12/L": "10^12/L", "10*3/uL": "10^3/uL", "10*6/uL": "10^6/uL",
         "10*3/mm3": "10^3/mm3", "/min": "beats/min", "[in_i]": "in", "[lb_av]": "LB"}
"""UCUM spellings (as protocols write units) whose CDISC UNIT (C71620) submission value
differs; every other unit is written as collected."""
_LABELS = {"RS": "Disease Response and Clin Classification", "NV": "Nervous System Findings",
           "LB": "Laboratory Test Results", "VS": "Vital Signs", "RP": "Reproductive System "
           "Findings", "QS": "Questionnaires", "FT": "Functional Tests"}
_TESTCD_CODELISTS = {"LB": ("C65047", "C67154"), "VS": ("C66741", "C67153")}


@dataclass(frozen=True)
class Test:
    """One result item of a form as a findings test."""

    item: Item
    code: str
    name: str
    category: str


def finding_domains(context: Context) -> list[str]:
    """The findings domains the protocol's annotations give tests in (FA excepted)."""
    names = {i.cdisc.domain for f in context.protocol.forms for i in f.items
             if i.cdisc is not None}
    return sorted(d for d in names - {EVENT_FINDINGS}
                  if any(tests_of(f, d, context.protocol) for f in context.protocol.forms))


def tests_of(form: Form, d: str, protocol: Protocol) -> list[Test]:
    """The form's tests in domain ``d``: its items annotated with a test code. A form whose
    date is annotated ``d``--DTC but none of whose items has a test code (a rating scale the
    protocol has not coded) reports each entered numeric item under the code its analysis
    dataset uses (``bds_spec``: derived from the item), named by its label, in a category
    named after the form: collected data is not dropped for want of a code."""
    coded = [Test(i, i.cdisc.testcd, i.cdisc.test or i.label,
                  i.cdisc.category or _instrument(d, i.cdisc.test or ""))
             for i in form.items if i.cdisc is not None and i.cdisc.domain == d
             and i.cdisc.testcd]
    dated = any(i.cdisc is not None and i.cdisc.domain == d and i.cdisc.variable == f"{d}DTC"
                for i in form.items)
    if coded or not dated:
        return coded
    spec = bds_spec(form, protocol)
    parameters = spec.parameters if spec is not None else ()
    return [Test(item, p.code, item.label[:40], form.name.upper()[:40]) for p in parameters
            if (item := form.item(p.item)).derived is None and item.cdisc is None]


def finding_variables(d: str, qualifiers: Mapping[str, str] | None = None,
                      dated: Kind = "datetime") -> tuple[Variable, ...]:
    """The domain's variables in SDTMIG order; ``qualifiers`` (name → label) are the other
    annotated variables of the domain (LBSPEC), placed before the baseline flag; ``dated``
    is the kind of --DTC (a date where every form dates its records by day)."""
    testcd, test = _TESTCD_CODELISTS.get(d, ("", ""))
    return (
        *identifiers(d),
        var(f"{d}TESTCD", "Short Name of Test", role="Topic", codelist=testcd,
            origin="Assigned"),
        var(f"{d}TEST", "Name of Test", role="Synonym Qualifier", codelist=test,
            origin="Assigned"),
        var(f"{d}CAT", "Category", role="Grouping Qualifier", origin="Assigned"),
        var(f"{d}ORRES", "Result or Finding in Original Units", role="Result Qualifier",
            origin="Collected"),
        var(f"{d}ORRESU", "Original Units", role="Variable Qualifier", codelist="C71620",
            origin="Collected"),
        var(f"{d}ORNRLO", "Reference Range Lower Limit in Orig Unit",
            role="Variable Qualifier", origin="Collected"),
        var(f"{d}ORNRHI", "Reference Range Upper Limit in Orig Unit",
            role="Variable Qualifier", origin="Collected"),
        var(f"{d}STRESC", "Character Result/Finding in Std Format", role="Result Qualifier"),
        var(f"{d}STRESN", "Numeric Result/Finding in Standard Units", "float",
            "Result Qualifier"),
        var(f"{d}STRESU", "Standard Units", role="Variable Qualifier", codelist="C71620"),
        *(var(name, label, role="Record Qualifier", origin="Collected")
          for name, label in sorted((qualifiers or {}).items())),
        var(f"{d}BLFL", "Baseline Flag", role="Record Qualifier", codelist="C66742"),
        var("VISITNUM", "Visit Number", "float", "Timing"),
        var("VISIT", "Visit Name", role="Timing"),
        var("EPOCH", "Epoch", role="Timing", codelist="C99079"),
        var(f"{d}DTC", "Date/Time of Collection", dated, "Timing", origin="Collected"),
        var(f"{d}DY", "Study Day of Visit/Collection/Exam", "integer", "Timing"))


def findings(context: Context) -> Sequence[Domain]:
    return [finding_domain(context, d) for d in finding_domains(context)]


def finding_domain(context: Context, d: str) -> Domain:
    forms = {k: f for k, f in forms_naming(context, d).items()
             if tests_of(f, d, context.protocol)}
    rows: list[Row] = []
    for form, record in records(context, forms):
        date = _date_of(form, d, record.data)
        base = place(context, d, record.participant, record.visit, date, start="")
        base[f"{d}DTC"] = date
        base.update(_qualifiers(context, form, d, record.data))
        limits = range_limits(form, context.protocol)
        for test in tests_of(form, d, context.protocol):
            result = _result(context, test, record.data.get(test.item.id), d)
            if result is None:
                continue
            low, high = limits.get(test.item.id, ("", ""))
            row = {**base, **result, "_repeat": record.repeat}
            for suffix, limit in (("ORNRLO", low), ("ORNRHI", high)):
                if limit:
                    row[f"{d}{suffix}"] = _number_text(record.data.get(limit))
            rows.append(row)
    _flag_baselines(context, rows, d)
    ordered = with_sequence(rows, d, (f"{d}TESTCD", f"{d}CAT", f"{d}DTC", "VISITNUM",
                                      "_repeat"))
    for row in ordered:
        del row["_repeat"]
    qualifiers = {n: i.label[:40] for f in forms.values()
                  for n, i in _qualifier_items(f, d).items()}
    dated: Kind = "datetime" if any(i.type == "datetime" for f in forms.values()
                                    for i in f.items if i.cdisc is not None
                                    and i.cdisc.variable == f"{d}DTC") else "date"
    variables = finding_variables(d, qualifiers, dated)
    keep = {v.name for v in variables} - _unfilled(context, forms, d)
    return build(d, _LABELS.get(d, f"{d} Findings"), "Findings",
                  present(variables, keep), ordered,
                  ("STUDYID", "USUBJID", f"{d}TESTCD", f"{d}CAT", "VISITNUM", f"{d}DTC"))


def _result(context: Context, test: Test, value: object, d: str) -> Row | None:
    item = test.item
    text = _number_text(value) if item.type in ("integer", "decimal") \
        else collected(context, item, value)
    if not text:
        return None
    unit = UNITS.get(item.unit, item.unit) if item.unit else ""
    numeric = item.type in ("integer", "decimal") or (
        item.type == "choice" and item.codelist is not None
        and context.protocol.codelist(item.codelist).data_type == "integer")
    return {f"{d}TESTCD": test.code, f"{d}TEST": test.name, f"{d}CAT": test.category,
            f"{d}ORRES": text, f"{d}ORRESU": unit, f"{d}STRESC": text,
            f"{d}STRESN": as_number(value) if numeric else None, f"{d}STRESU": unit}


def _instrument(d: str, test: str) -> str:
    """The QRS instrument prefix of a test name (``KFSS1`` of ``KFSS1-Pyramidal Functions``)."""
    prefix, dash, _ = test.partition("-")
    return prefix if d in QRS_DOMAINS and dash and " " not in prefix else ""


def _number_text(value: object) -> str:
    number = as_number(value)
    if number is None:
        return ""
    return str(int(number)) if number.is_integer() else str(number)


def _date_of(form: Form, d: str, data: Mapping[str, Any]) -> str:
    for item in form.items:
        if item.cdisc is not None and item.cdisc.domain == d and item.cdisc.variable == \
                f"{d}DTC":
            return dtc(data.get(item.id))
    return ""


def _qualifier_items(form: Form, d: str) -> dict[str, Item]:
    """Items annotated with another variable of the domain than the date and the limits."""
    return {i.cdisc.variable: i for i in form.items if i.cdisc is not None
            and i.cdisc.domain == d and i.cdisc.variable
            and i.cdisc.variable[len(d):] not in ("DTC", "ORNRLO", "ORNRHI")}


def _qualifiers(context: Context, form: Form, d: str, data: Mapping[str, Any]) -> Row:
    return {name: collected(context, item, data.get(item.id))
            for name, item in _qualifier_items(form, d).items()}


def _unfilled(context: Context, forms: dict[str, Form], d: str) -> set[str]:
    """Permissible variables nothing in the protocol fills: no unit, no range, no category."""
    tests = [t for f in forms.values() for t in tests_of(f, d, context.protocol)]
    limits = {s for f in forms.values() for i in f.items if i.cdisc is not None
              and i.cdisc.variable and (s := i.cdisc.variable[len(d):]) in ("ORNRLO",
                                                                             "ORNRHI")}
    unfilled = {f"{d}{s}" for s in ("ORNRLO", "ORNRHI") if s not in limits}
    if not any(t.item.unit for t in tests):
        unfilled |= {f"{d}ORRESU", f"{d}STRESU"}
    if not any(t.category for t in tests):
        unfilled.add(f"{d}CAT")
    return unfilled


def _flag_baselines(context: Context, rows: list[Row], d: str) -> None:
    """--BLFL = Y on each subject's last result per test (and category) dated before the
    first administration; a date without a time on the day of it counts as before."""
    first: dict[str, str] = {}
    for dose in sorted(context.rows.doses, key=lambda x: x.given_at):
        first.setdefault(context.usubjid(dose.participant), iso_date(dose.given_at))
    chosen: dict[tuple[str, str, str], Row] = {}
    for row in sorted(rows, key=lambda r: (r[f"{d}DTC"], r.get("VISITNUM") or 0,
                                           r["_repeat"])):
        start, when = first.get(row["USUBJID"]), row[f"{d}DTC"]
        if not start or not when:
            continue
        before = when < start if "T" in when else when <= start[:10]
        if before:
            chosen[(row["USUBJID"], row[f"{d}TESTCD"], row[f"{d}CAT"])] = row
    for row in chosen.values():
        row[f"{d}BLFL"] = "Y"


BUILDERS = (findings,)
