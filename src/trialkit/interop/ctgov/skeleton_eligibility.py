"""The eligibility section of a skeleton: ages and sex as rules, the text as numbered criteria.

The registry's structured limits become executable criteria in the criteria language:
``age >= 20 and age <= 65`` and, for a single-sex study, ``sex == "female"``. Every criterion
taken from the free text keeps its verbatim text with ``rule: null``; one interpretation
(``import-criteria-need-rules``) lists the ``rule`` of each, so the work left is in one place.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import Any

from trialkit.interop.ctgov._record import Notes, Record
from trialkit.interop.ctgov.eligibility_text import (
    AGE_ID,
    AGE_TEXT_PREFIX,
    SEX_ID,
    SEX_TEXT_PREFIX,
    ParsedCriterion,
    parse_criteria,
)
from trialkit.interop.ctgov.errors import RecordError

_AGE = re.compile(r"^(?P<n>\d+) (?P<unit>Years?|Months?|Weeks?|Days?|Hours?|Minutes?)$")


def eligibility(record: Record, notes: Notes) -> dict[str, Any]:
    sex = record.text("eligibilityModule.sex")
    if sex is None:
        sex = "ALL"
        notes.assume("import-sex", "Participants of either sex are eligible (sex ALL).",
                     ["eligibility.sex"])
    healthy = record.get("eligibilityModule.healthyVolunteers")
    if not isinstance(healthy, bool):
        healthy = False
        notes.assume("import-healthy-volunteers", "Healthy volunteers are not accepted.",
                     ["eligibility.healthy_volunteers"])
    out: dict[str, Any] = {}
    minimum = _years(record.text("eligibilityModule.minimumAge"))
    maximum = _years(record.text("eligibilityModule.maximumAge"))
    if minimum is not None:
        out["minimum_age_years"] = minimum
    if maximum is not None:
        out["maximum_age_years"] = maximum
    out["sex"] = sex
    out["healthy_volunteers"] = healthy
    criteria = _structured(record, sex, minimum, maximum, notes) + _from_text(record, notes)
    if not criteria:
        raise RecordError("the record has no eligibility criteria: "
                          "protocolSection.eligibilityModule.eligibilityCriteria, minimumAge, "
                          "maximumAge and sex are all missing or empty")
    out["criteria"] = criteria
    return out


def _years(value: str | None) -> int | None:
    """Whole years from "20 Years" or "24 Months"; None if absent or not a whole number of years."""
    match = _AGE.match(value or "")
    if match is None:
        return None
    n, unit = int(match["n"]), match["unit"].rstrip("s")
    if unit == "Year":
        return n
    if unit == "Month" and n % 12 == 0:
        return n // 12
    return None


def age_rule(minimum: int | None, maximum: int | None) -> str | None:
    parts = ([f"age >= {minimum}"] if minimum is not None else []) + (
        [f"age <= {maximum}"] if maximum is not None else [])
    return " and ".join(parts) or None


def _structured(record: Record, sex: str, minimum: int | None, maximum: int | None,
                notes: Notes) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    low = record.text("eligibilityModule.minimumAge")
    high = record.text("eligibilityModule.maximumAge")
    limits = ([f"minimum {low}"] if low else []) + ([f"maximum {high}"] if high else [])
    if limits:
        rule = age_rule(minimum, maximum)
        if (low and minimum is None) or (high and maximum is None):
            # "6 Months" has no exact whole-year form; a rounded limit would change who is
            # eligible, so the criterion waits for a hand-written rule.
            rule = None
            notes.assume("import-age-units",
                         f"The age limits ({', '.join(limits)}) are not whole years; the "
                         "protocol's age fields and the AGE rule are left empty.",
                         [f"eligibility.criteria[{AGE_ID}].rule"])
        out.append({"id": AGE_ID, "kind": "inclusion",
                    "text": f"{AGE_TEXT_PREFIX} {', '.join(limits)}.", "rule": rule})
    if sex in ("FEMALE", "MALE"):
        out.append({"id": SEX_ID, "kind": "inclusion", "text": f"{SEX_TEXT_PREFIX} {sex}.",
                    "rule": f'sex == "{sex.lower()}"'})
    return out


def _from_text(record: Record, notes: Notes) -> list[dict[str, Any]]:
    parsed = parse_criteria(record.text("eligibilityModule.eligibilityCriteria") or "")
    counters = {"inclusion": 0, "exclusion": 0}
    out: list[dict[str, Any]] = []
    for item in parsed:
        counters[item.kind] += 1
        ident = f"{item.kind[0].upper()}{counters[item.kind]}"
        out.append({"id": ident, "kind": item.kind, "text": item.text, "rule": None})
    if out:
        notes.assume(
            "import-criteria-need-rules",
            f"{len(out)} criteria were imported as verbatim registry text without a rule; "
            "each needs a rule in the criteria language (or a reading) before it can screen.",
            [f"eligibility.criteria[{c['id']}].rule" for c in out],
            rationale="A registry record states criteria only as prose.")
    _note_headings(parsed, [c["id"] for c in out], notes)
    return out


def _note_headings(parsed: list[ParsedCriterion], ids: list[str], notes: Notes) -> None:
    """Headings such as "Inclusion criteria stage 2" limit their items; say which ones."""
    numbered = list(zip(parsed, ids, strict=True))
    for n, (heading, group) in enumerate(groupby(numbered, key=lambda pair: pair[0].heading), 1):
        members = list(group)
        first = members[0][0]
        if heading is not None and not first.qualified:
            continue
        where = (f"under the registry heading '{heading}'" if heading is not None
                 else "before any Inclusion/Exclusion heading and are read as inclusion")
        notes.read(f"import-heading-{n}",
                   f"Criteria {members[0][1]}–{members[-1][1]} stand {where}.",
                   "The protocol model has no criterion groups; the heading may restrict "
                   "when these criteria apply.",
                   [f"eligibility.criteria[{ident}]" for _, ident in members])
