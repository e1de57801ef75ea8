"""ADAE (one record per adverse event) and ADEX (one record per administration given).

ADAE reads every item of the adverse-event forms that carries an AE annotation, under its
CDISC variable (SUPPAE qualifiers such as the relation to each administration under their
QNAM), and derives ASTDT/AENDT, study days, ASEV/ATOXGR/AREL and TRTEMFL (onset on or after
the first administration). In a crossover part an event belongs to the period it began in
(APERIOD) and to that period's treatment (TRTA); before the first period, to the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from trialkit.core.adam.rows import CodedTermRow, TrialRows
from trialkit.core.adam.subjects import POOLED, usubjid
from trialkit.core.adam.values import Record, as_date, as_text, study_day
from trialkit.core.protocol.analysis_datasets import (
    ADAE_CODED,
    ADAE_DERIVED,
    adae_spec,
    adverse_event_forms,
)
from trialkit.core.protocol.model import Protocol


def period_of(protocol: Protocol, subject: Record, day: dt.date | None, *,
              assessment: bool = False) -> tuple[str, str]:
    """(APERIOD, TRTA) of a dated record: the latest period started by ``day`` (the first
    before any starts) and the treatment the participant received in it. An ``assessment``
    dated on a period's first day belongs to the period before: it is the pre-dose
    assessment closing that period (as a baseline is the last value on or before the first
    dose), e.g. the crossover visit's scan before the second infusion."""
    part = protocol.part(subject["PART"]) if subject.get("PART") else None
    if part is None or not part.periods:
        return "", str(subject.get("TRT01A") or "")
    index = 0
    for n in range(len(part.periods)):
        start = subject.get(f"AP{n + 1:02d}SDT")
        if day is not None and isinstance(start, dt.date) and (
                start < day or (start == day and not (assessment and n > 0))):
            index = n
    return part.periods[index].id, str(subject.get(f"TRT{index + 1:02d}A") or "")


def adae_records(protocol: Protocol, rows: TrialRows,
                 subjects: Mapping[str, Record]) -> list[Record]:
    spec = adae_spec(protocol)
    forms = {f.id: f for f in adverse_event_forms(protocol)}
    by_key = {p.key: usubjid(rows, p) for p in rows.participants}
    records: list[Record] = []
    for row in rows.forms:
        form = forms.get(row.form)
        if form is None or row.participant not in by_key:
            continue
        subject = subjects[by_key[row.participant]]
        record: Record = {"STUDYID": rows.study_id, "USUBJID": by_key[row.participant]}
        for variable in spec.variables:
            item = next((i for i in form.items if i.cdisc is not None
                         and i.cdisc.domain == "AE" and i.cdisc.variable == variable.name),
                        None)
            if item is not None:
                record[variable.name] = as_text(item, row.data.get(item.id), protocol)
        coding = rows.coding_of(row)
        for name, _ in ADAE_CODED:
            if any(v.name == name for v in spec.variables) and name not in record:
                record[name] = _coded(coding, name)
        for source, target in ADAE_DERIVED.items():
            if source in record:
                record[target] = as_date(record[source]) if source.endswith("DTC") \
                    else record[source]
        start, first = record.get("ASTDT"), subject.get("TRTSDT")
        record["ASTDY"] = study_day(start, first)
        record["AENDY"] = study_day(record.get("AENDT"), first)
        record["TRTEMFL"] = "Y" if start is not None and first is not None and start >= first \
            else "N"
        record["APERIOD"], record["TRTA"] = period_of(protocol, subject, start)
        if subject.get("TRT01A") == POOLED:
            record["TRTA"] = POOLED
        records.append(record)
    records.sort(key=lambda r: (r["USUBJID"], r.get("ASTDT") or dt.date.max,
                                r.get("AETERM", "")))
    for n, record in enumerate(records):
        previous = records[n - 1]["USUBJID"] if n else None
        record["AESEQ"] = 1.0 if previous != record["USUBJID"] else records[n - 1]["AESEQ"] + 1
    return records


_CODED_FIELDS = {"AELLT": "llt_name", "AELLTCD": "llt_code", "AEDECOD": "pt_name",
                 "AEPTCD": "pt_code", "AEHLT": "hlt_name", "AEHLTCD": "hlt_code",
                 "AEHLGT": "hlgt_name", "AEHLGTCD": "hlgt_code", "AEBODSYS": "soc_name",
                 "AEBDSYCD": "soc_code", "AESOC": "soc_name", "AESOCCD": "soc_code"}


def _coded(coding: CodedTermRow | None, name: str) -> str:
    """A dictionary variable of a coded event; empty when the event is not coded."""
    return "" if coding is None else str(getattr(coding, _CODED_FIELDS[name]))


def adex_records(protocol: Protocol, rows: TrialRows,
                 subjects: Mapping[str, Record]) -> list[Record]:
    by_key = {p.key: usubjid(rows, p) for p in rows.participants}
    records: list[Record] = []
    for dose in rows.administrations:
        if dose.participant not in by_key:
            continue
        administration = protocol.administration(dose.administration)
        subject = subjects[by_key[dose.participant]]
        period, treatment = period_of(protocol, subject, dose.given_on)
        if administration.period:  # its content follows its own period's arm
            period, treatment = administration.period, _treatment_in(
                protocol, subject, administration.period)
        records.append({
            "STUDYID": rows.study_id, "USUBJID": by_key[dose.participant],
            "ADMINID": administration.id, "EXTRT": administration.name,
            "EXROUTE": administration.route.upper(), "AVISIT": administration.visit,
            "ASTDT": dose.given_on, "ASTDY": study_day(dose.given_on, subject.get("TRTSDT")),
            "APERIOD": period, "EXOVRFL": "Y" if dose.against_gate
            else "N", "TRTA": POOLED if subject.get("TRT01A") == POOLED else treatment})
    records.sort(key=lambda r: (r["USUBJID"], r["ASTDT"], r["ADMINID"]))
    for n, record in enumerate(records):
        same = n and records[n - 1]["USUBJID"] == record["USUBJID"]
        record["EXSEQ"] = records[n - 1]["EXSEQ"] + 1 if same else 1.0
    return records


def _treatment_in(protocol: Protocol, subject: Record, period: str) -> str:
    part = protocol.part(subject["PART"]) if subject.get("PART") else None
    ids = [p.id for p in part.periods] if part is not None else []
    if period not in ids:
        return ""
    return str(subject.get(f"TRT{ids.index(period) + 1:02d}A") or "")
