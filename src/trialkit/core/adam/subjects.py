"""ADSL: one record per participant with demographics, population flags, treatment variables,
strata and the dates every other dataset counts from.

The treatment variables are planned = actual (trialkit records no arm switch). In a pooled
(blinded) view every enrolled participant's treatment variables read ``POOLED`` — the arms are
not in the input at all. TRTSDT is the date of the design's day-zero administration (else the
first administration); study days count from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from trialkit.core.adam.rows import FormRow, ParticipantRow, TrialRows
from trialkit.core.adam.values import Record, as_date, as_text
from trialkit.core.protocol.analysis_datasets import adsl_spec, periods
from trialkit.core.protocol.model import Protocol

POOLED = "POOLED"
ENDED = {"completed": "COMPLETED", "withdrawn": "DISCONTINUED",
         "lost_to_follow_up": "DISCONTINUED", "died": "DISCONTINUED"}
REASONS = {"withdrawn": "WITHDRAWAL BY SUBJECT", "lost_to_follow_up": "LOST TO FOLLOW-UP",
           "died": "DEATH"}
"""CDISC NCOMPLT submission values for the participant statuses that end a study early."""
NOT_ENROLLED = {"screen_failed": "SCREEN FAILURE", "consented": "CONSENTED, NOT ENROLLED",
                "screening": "IN SCREENING"}
"""Why a participant in ADSL was not enrolled (DCSREAS), for the CONSORT flow."""


def usubjid(rows: TrialRows, participant: ParticipantRow) -> str:
    return f"{rows.study_id}-{participant.screening_number}"


def adsl_records(protocol: Protocol, rows: TrialRows) -> list[Record]:
    forms = _forms_by_participant(rows)
    given = _doses_by_participant(rows)
    return [_subject(protocol, rows, p, forms.get(p.key, []), given.get(p.key, {}))
            for p in sorted(rows.participants, key=lambda p: p.screening_number)]


def _forms_by_participant(rows: TrialRows) -> dict[int, list[FormRow]]:
    found: dict[int, list[FormRow]] = {}
    for form in rows.forms:
        found.setdefault(form.participant, []).append(form)
    return found


def _doses_by_participant(rows: TrialRows) -> dict[int, dict[str, dt.date]]:
    found: dict[int, dict[str, dt.date]] = {}
    for dose in rows.administrations:
        found.setdefault(dose.participant, {})[dose.administration] = dose.given_on
    return found


def _subject(protocol: Protocol, rows: TrialRows, p: ParticipantRow, forms: list[FormRow],
             doses: dict[str, dt.date]) -> Record:
    spec = adsl_spec(protocol)
    enrolled = p.enrolled_on is not None
    randomized = enrolled and protocol.randomization is not None and \
        p.part == protocol.randomization.part
    ended = p.ended_on if p.ended_on is not None and p.ended_on <= rows.as_of else None
    record: Record = {
        "STUDYID": rows.study_id, "USUBJID": usubjid(rows, p), "SUBJID": p.screening_number,
        "SITEID": p.site, "PART": p.part, "ENRLFL": _yn(enrolled), "RANDFL": _yn(randomized),
        "RFICDT": p.consent_date, "ENRLDT": p.enrolled_on,
        "RANDDT": p.enrolled_on if randomized else None,
        "TRTSDT": _first_dose(protocol, doses), "TRTEDT": max(doses.values(), default=None),
        "EOSDT": ended, "LSTCNDT": ended or (rows.as_of if enrolled else None),
        "EOSSTT": ENDED.get(p.status, "ONGOING") if enrolled and ended else
        ("ONGOING" if enrolled else ""),
        "DCSREAS": REASONS.get(p.status, "") if ended else
        "" if enrolled else NOT_ENROLLED.get(p.status, "")}
    record.update(_demographics(protocol, spec.variables, forms, p.consent_date))
    record.update(_treatments(protocol, rows, p))
    record.update(_strata(protocol, forms) if randomized else {})
    for aset in protocol.analysis_data.sets:
        met = enrolled and (not aset.parts or p.part in aset.parts) and all(
            _meets(protocol, requirement, p, doses, randomized)
            for requirement in aset.requires)
        record[aset.flag] = _yn(met)
    return record


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def _first_dose(protocol: Protocol, doses: dict[str, dt.date]) -> dt.date | None:
    day_zero = protocol.design.day_zero
    if day_zero is not None and day_zero in doses:
        return doses[day_zero]
    return min(doses.values(), default=None)


def _meets(protocol: Protocol, requirement: str, p: ParticipantRow,
           doses: dict[str, dt.date], randomized: bool) -> bool:
    if requirement == "randomized":
        return randomized
    if requirement == "dosed":
        return bool(doses)
    if requirement == "dosed_all":
        return all(a.id in doses for a in protocol.design.administrations)
    if requirement == "completed":
        return p.status == "completed"
    return True  # enrolled: checked for every set


def _demographics(protocol: Protocol, variables: object, forms: list[FormRow],
                  consent: dt.date | None) -> Record:
    found: Record = {}
    for variable in adsl_spec(protocol).variables:
        if not variable.item:
            continue
        form = next(f for f in protocol.forms if f.kind == "demographics"
                    and any(i.id == variable.item for i in f.items))
        value = next((r.data.get(variable.item) for r in _latest_first(forms, form.id)
                      if r.data.get(variable.item) not in (None, "")), None)
        item = form.item(variable.item)
        found[variable.name] = as_date(value) if variable.type == "date" else as_text(
            item, value, protocol)
    birth = found.get("BRTHDT")
    if isinstance(birth, dt.date) and consent is not None:
        years = consent.year - birth.year - ((consent.month, consent.day) <
                                             (birth.month, birth.day))
        found["AGE"], found["AGEU"] = float(years), "YEARS"
    return found


def _latest_first(forms: list[FormRow], form_id: str) -> Iterator[FormRow]:
    return iter(sorted((f for f in forms if f.form == form_id),
                       key=lambda f: (f.visit, f.repeat), reverse=True))


def _treatments(protocol: Protocol, rows: TrialRows, p: ParticipantRow) -> Record:
    if p.enrolled_on is None:
        return {}
    names = [f"TRT{n:02d}{pa}" for n in range(1, periods(protocol) + 1) for pa in "PA"]
    crossover = any(part.is_crossover for part in protocol.design.parts)
    if crossover:
        names += ["TRTSEQP", "TRTSEQA"]
    found: Record = {}
    starts = rows.period_starts.get(p.key, {})
    if p.part:
        part = protocol.part(p.part)
        for n, period in enumerate(part.periods, start=1):
            found[f"AP{n:02d}SDT"] = starts.get(period.id)
    if rows.allocations is None:
        return {**found, **dict.fromkeys(names, POOLED)}
    allocation = rows.allocations.get(p.key)
    if allocation is None or not p.part:
        return found
    part = protocol.part(p.part)
    if allocation.sequence:
        sequence = part.sequence(allocation.sequence)
        found["TRTSEQP"] = found["TRTSEQA"] = sequence.label
        for n, arm in enumerate(sequence.arms, start=1):
            found[f"TRT{n:02d}P"] = found[f"TRT{n:02d}A"] = protocol.arm(arm).label
    elif allocation.arm:
        found["TRT01P"] = found["TRT01A"] = protocol.arm(allocation.arm).label
    return found


def _strata(protocol: Protocol, forms: list[FormRow]) -> Record:
    found: Record = {}
    if protocol.randomization is None:
        return found
    for n, stratum in enumerate(protocol.randomization.strata, start=1):
        value = next((str(r.data[stratum.item]) for r in _latest_first(forms, stratum.form)
                      if r.data.get(stratum.item) not in (None, "")), "")
        found[f"STRAT{n}R"] = value
    return found
