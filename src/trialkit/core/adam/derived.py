"""The derived parameters of ``analysis_data``: ADTTE (confirmed change), ADCNT (counts with
their exposure) and ADRSP (responders).

Only participants dosed (with a TRTSDT) get records. Follow-up runs from TRTSDT to LSTCNDT
(the end of study, else the cut-off date). A derivation that cannot be made for one
participant (two different scores on one day) leaves them out with a note, never the whole
dataset.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from trialkit.core.adam.rows import TrialRows
from trialkit.core.adam.subjects import usubjid
from trialkit.core.adam.values import Record, as_date
from trialkit.core.analysis.disability import Assessment, DisabilityRule, confirmed_change
from trialkit.core.analysis.table import AnalysisInputError
from trialkit.core.protocol.analyses import ConfirmedChange, CountParameter, Responder
from trialkit.core.protocol.analysis_datasets import date_item
from trialkit.core.protocol.model import Protocol

YEAR = 365.25
Index = dict[tuple[str, str], list[Record]]


def by_subject(records: list[Record]) -> Index:
    """Records by (USUBJID, PARAMCD), in their order: one pass instead of a scan per person."""
    found: Index = {}
    for record in records:
        found.setdefault((record["USUBJID"], record["PARAMCD"]), []).append(record)
    return found


def event_dates(protocol: Protocol, rows: TrialRows, form_id: str) -> dict[str, list[dt.date]]:
    """USUBJID → the dates of the records of an event-log form."""
    item = date_item(protocol.form(form_id))
    by_key = {p.key: usubjid(rows, p) for p in rows.participants}
    found: dict[str, list[dt.date]] = {}
    for row in rows.forms:
        day = as_date(row.data.get(item.id)) if item is not None else None
        if row.form == form_id and day is not None and row.participant in by_key \
                and day <= rows.as_of:
            found.setdefault(by_key[row.participant], []).append(day)
    return {k: sorted(v) for k, v in found.items()}


def adtte_records(protocol: Protocol, rows: TrialRows, subjects: Mapping[str, Record],
                  findings: Mapping[str, list[Record]], notes: list[str]) -> list[Record]:
    records = []
    for spec in protocol.analysis_data.time_to_event:
        onsets = event_dates(protocol, rows, spec.excluding.events) if spec.excluding else {}
        series = by_subject(findings.get(spec.source.dataset, []))
        for subject_id in sorted(subjects):
            record = _tte(spec, subjects[subject_id],
                          series.get((subject_id, spec.source.parameter), []),
                          onsets.get(subject_id, []), notes)
            if record is not None:
                records.append(record)
    return records


def _tte(spec: ConfirmedChange, subject: Record, mine: list[Record],
         onsets: list[dt.date], notes: list[str]) -> Record | None:
    baseline = next((r for r in mine if r["ABLFL"] == "Y"), None)
    if baseline is None or subject.get("TRTSDT") is None:
        return None
    rule = DisabilityRule(spec.direction, tuple((t.baseline_up_to, t.change)
                                                for t in spec.thresholds),
                          spec.confirmation_days, spec.excluding.days if spec.excluding else 0,
                          spec.sustained)
    later = [Assessment(r["ADT"], r["AVAL"]) for r in mine if r["ADT"] > baseline["ADT"]]
    try:
        outcome = confirmed_change(Assessment(baseline["ADT"], baseline["AVAL"]), later,
                                   onsets, rule)
    except AnalysisInputError as exc:
        notes.append(f"ADTTE {spec.parameter}: {subject['USUBJID']} left out: {exc}")
        return None
    return {"STUDYID": subject["STUDYID"], "USUBJID": subject["USUBJID"],
            "PARAMCD": spec.parameter, "PARAM": spec.name, "AVAL": float(outcome.days),
            "CNSR": 0.0 if outcome.event else 1.0, "STARTDT": baseline["ADT"],
            "ADT": outcome.end, "BASE": baseline["AVAL"],
            "EVNTDESC": (f"confirmed {spec.direction} (confirmed on "
                         f"{outcome.confirmed_on})" if outcome.event else
                         "censored at the last valid assessment")}


def adcnt_records(protocol: Protocol, rows: TrialRows, subjects: Mapping[str, Record],
                  findings: Mapping[str, list[Record]]) -> list[Record]:
    records = []
    indexed = {name: by_subject(found) for name, found in findings.items()
               if name in {c.sum_of.dataset for c in protocol.analysis_data.counts if c.sum_of}}
    for spec in protocol.analysis_data.counts:
        events = event_dates(protocol, rows, spec.events) if spec.events else {}
        for subject_id in sorted(subjects):
            subject = subjects[subject_id]
            if subject.get("TRTSDT") is None or subject.get("LSTCNDT") is None:
                continue
            if spec.events is not None:
                found = _event_count(spec, subject, events.get(subject_id, []))
            else:
                found = _summed(spec, subject, indexed)
            records.append({"STUDYID": subject["STUDYID"], "USUBJID": subject_id,
                            "PARAMCD": spec.parameter, "PARAM": spec.name, **found})
    return records


def _window(spec: CountParameter, subject: Record) -> tuple[dt.date, dt.date]:
    first, last = subject["TRTSDT"], subject["LSTCNDT"]
    start = first + dt.timedelta(days=(spec.window.from_day or 1) - 1)
    end = last if spec.window.to_day is None else min(
        last, first + dt.timedelta(days=spec.window.to_day - 1))
    return start, end


def _event_count(spec: CountParameter, subject: Record, dates: list[dt.date]) -> Record:
    start, end = _window(spec, subject)
    first = subject["TRTSDT"]
    before = [d for d in dates if first - dt.timedelta(days=365) <= d < first]
    return {"AVAL": float(sum(start <= d <= end for d in dates)),
            "EXPOS": max((end - start).days + 1, 0) / YEAR, "EXPOSU": "YEARS",
            "BASE": float(len(before))}


def _summed(spec: CountParameter, subject: Record, indexed: Mapping[str, Index]) -> Record:
    assert spec.sum_of is not None  # the model requires one source
    start, end = _window(spec, subject)
    mine = indexed.get(spec.sum_of.dataset, {}).get(
        (subject["USUBJID"], spec.sum_of.parameter), [])
    used = [r for r in mine if r["ADT"] > subject["TRTSDT"] and start <= r["ADT"] <= end
            and (not spec.visits or r["AVISIT"] in spec.visits)]
    baseline = next((r["AVAL"] for r in mine if r["ABLFL"] == "Y"), None)
    return {"AVAL": float(sum(r["AVAL"] for r in used)), "EXPOS": float(len(used)),
            "EXPOSU": "RECORDS", "BASE": baseline}


def adrsp_records(protocol: Protocol, subjects: Mapping[str, Record],
                  derived: Mapping[str, list[Record]]) -> list[Record]:
    records = []
    indexed = {name: by_subject(derived[name]) for name in ("ADTTE", "ADCNT") if name in derived}
    for spec in protocol.analysis_data.responders:
        for subject_id in sorted(subjects):
            subject = subjects[subject_id]
            if subject.get("TRTSDT") is None:
                continue
            status = _responds(spec, subject_id, indexed)
            records.append({"STUDYID": subject["STUDYID"], "USUBJID": subject_id,
                            "PARAMCD": spec.parameter, "PARAM": spec.name,
                            "AVALC": {True: "Y", False: "N", None: ""}[status],
                            "AVAL": {True: 1.0, False: 0.0, None: math.nan}[status]})
    return records


def _responds(spec: Responder, subject_id: str,
              indexed: Mapping[str, Index]) -> bool | None:
    """False on any event; True when every component is known and none happened."""
    known = True
    for ref in spec.none_of:
        record = next(iter(indexed.get(ref.dataset, {}).get((subject_id, ref.parameter), [])),
                      None)
        if record is None or (ref.dataset == "ADCNT" and not record["EXPOS"]):
            known = False
        elif (ref.dataset == "ADTTE" and record["CNSR"] == 0.0) or (
                ref.dataset == "ADCNT" and record["AVAL"] > 0):
            return False
    return True if known else None
