"""SE, the subject elements: each participant's way through the trial's elements, one record
per element with its start and end, from the same calendar as EPOCH (``epochs.py``): an
element ends the day the next one starts, the last one when participation ended.

Blinding: a treatment element is an arm's treatment, so a blinded reader's SE leaves those
records out; screening, washout and follow-up stay, as they are the same in every arm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from trialkit.core.adam.rows import ParticipantRow
from trialkit.core.sdtm.common import Context, Domain, Kind, Variable, iso_date, with_sequence
from trialkit.core.sdtm.epochs import EPOCH_CODELIST, FOLLOW_UP, SCREENING, WASHOUT, calendar
from trialkit.core.sdtm.special_purpose import subjects
from trialkit.core.sdtm.trial_design import (
    FOLLOW_UP_ELEMENT,
    SCREENING_ELEMENT,
    WASHOUT_ELEMENT,
    element_codes,
    elements,
)

Row = dict[str, Any]


def _v(name: str, label: str, kind: Kind = "text", role: str = "", codelist: str = "") -> Variable:
    return Variable(name, label, kind, role, codelist)


def _element(context: Context, person: ParticipantRow, epoch: str, period: str | None) -> str:
    """ETCD of a span; '' when it is an arm's treatment and the arm is not to be known."""
    if epoch == SCREENING:
        return SCREENING_ELEMENT
    if epoch == WASHOUT:
        return WASHOUT_ELEMENT
    if epoch == FOLLOW_UP:
        return FOLLOW_UP_ELEMENT
    allocations = context.rows.trial.allocations
    if allocations is None or person.key not in allocations or not person.part:
        return ""
    allocation = allocations[person.key]
    part = context.protocol.part(person.part)
    arm = (part.arm_in_period(allocation.sequence, period)
           if part.is_crossover and period is not None else allocation.arm)
    return element_codes(context.protocol).get(arm, "")


def se_rows(context: Context, person: ParticipantRow) -> list[Row]:
    spans = calendar(context, person.key).spans
    starts: list[tuple[str, dt.date | None, str | None]] = (
        [(SCREENING, person.consent_date, None)] if person.consent_date else [])
    starts += [(s.epoch, s.start, s.period) for s in spans]
    names = {e.code: e.name for e in elements(context.protocol)}
    rows: list[Row] = []
    for n, (epoch, start, period) in enumerate(starts):
        end = starts[n + 1][1] if n + 1 < len(starts) else person.ended_on
        etcd = _element(context, person, epoch, period)
        if not etcd or start is None:
            continue
        rows.append({"STUDYID": context.studyid, "DOMAIN": "SE",
                     "USUBJID": context.usubjid(person.key), "ETCD": etcd,
                     "ELEMENT": names.get(etcd, ""), "EPOCH": epoch,
                     "SESTDTC": iso_date(start), "SEENDTC": iso_date(end),
                     "SESTDY": context.study_day(person.key, start),
                     "SEENDY": context.study_day(person.key, end)})
    return rows


def build_se(context: Context) -> Sequence[Domain]:
    rows = [r for p in subjects(context) for r in se_rows(context, p)]
    variables = (
        _v("STUDYID", "Study Identifier", role="Identifier"),
        _v("DOMAIN", "Domain Abbreviation", role="Identifier", codelist="C66734"),
        _v("USUBJID", "Unique Subject Identifier", role="Identifier"),
        _v("SESEQ", "Sequence Number", "integer", "Identifier"),
        _v("ETCD", "Element Code", role="Topic"),
        _v("ELEMENT", "Description of Element", role="Synonym Qualifier"),
        _v("EPOCH", "Epoch", role="Timing", codelist=EPOCH_CODELIST),
        _v("SESTDTC", "Start Date/Time of Element", role="Timing"),
        _v("SEENDTC", "End Date/Time of Element", role="Timing"),
        _v("SESTDY", "Study Day of Start of Element", "integer", "Timing"),
        _v("SEENDY", "Study Day of End of Element", "integer", "Timing"))
    return [Domain("SE", "Subject Elements", "Special-Purpose", variables,
                   with_sequence(rows, "SE", ("SESTDTC",)),
                   ("STUDYID", "USUBJID", "SESTDTC", "ETCD"))]


BUILDERS = (build_se,)
