"""A BDS dataset for each scored, laboratory or vital-signs form: one record per participant,
parameter and form record.

AVAL is the item's value (entered or derived); ADT the form's date; AVISIT the visit it was
entered at (AVISITN its planned day; unscheduled visits have none). The baseline (ABLFL = Y)
is the last non-missing value dated on or before the first administration; BASE carries it to
every record of the parameter, and CHG/PCHG are computed for records after it. ANL01FL marks
the record analysed at each scheduled visit (the latest, when a form was entered twice) and
the baseline record. Where the form records a reference range (laboratory results),
ANRLO/ANRHI are its limits, ANRIND the record's indicator and BNRIND the baseline's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from trialkit.core.adam.events import period_of
from trialkit.core.adam.rows import TrialRows
from trialkit.core.adam.subjects import POOLED, usubjid
from trialkit.core.adam.values import Record, as_date, as_number, study_day
from trialkit.core.protocol.analysis_datasets import DatasetSpec
from trialkit.core.protocol.model import Protocol

CHANGE_DECIMALS = 10
"""Decimals a change from baseline keeps (far beyond any instrument's precision)."""


def bds_records(protocol: Protocol, rows: TrialRows, spec: DatasetSpec,
                subjects: Mapping[str, Record]) -> list[Record]:
    by_key = {p.key: usubjid(rows, p) for p in rows.participants}
    days = {v.id: v.day for v in protocol.schedule.visits}
    ranged = "ANRIND" in spec.names
    records: list[Record] = []
    for row in rows.forms:
        if row.form != spec.form or row.participant not in by_key:
            continue
        subject = subjects[by_key[row.participant]]
        day = as_date(row.data.get(spec.date_item))
        if day is None or day > rows.as_of:
            continue
        aperiod, treatment = period_of(protocol, subject, day, assessment=True)
        for parameter in spec.parameters:
            value = as_number(row.data.get(parameter.item))
            if value is None:
                continue
            visit_day = days.get(row.visit)
            records.append({
                "STUDYID": rows.study_id, "USUBJID": subject["USUBJID"],
                "PARAMCD": parameter.code, "PARAM": parameter.name,
                "PARCAT1": parameter.category, "AVAL": value, "ADT": day,
                "ADY": study_day(day, subject.get("TRTSDT")), "AVISIT": row.visit,
                "AVISITN": math.nan if visit_day is None else float(visit_day),
                "APERIOD": aperiod,
                "TRTA": POOLED if subject.get("TRT01A") == POOLED else treatment,
                "_repeat": row.repeat})
            if ranged:
                records[-1].update(_range(value, as_number(row.data.get(parameter.low_item)),
                                          as_number(row.data.get(parameter.high_item))))
    records.sort(key=lambda r: (r["USUBJID"], r["PARAMCD"], r["ADT"], r["AVISIT"],
                                r["_repeat"]))
    _baselines(records, subjects)
    for record in records:
        del record["_repeat"]
    return records


def _range(value: float, low: float | None, high: float | None) -> Record:
    """ANRLO, ANRHI and ANRIND: LOW below the lower limit, HIGH above the upper one, NORMAL
    within the limits recorded (a form that records only an upper limit, as a ULN, cannot
    say LOW); blank when the record has no limit."""
    if low is not None and value < low:
        indicator = "LOW"
    elif high is not None and value > high:
        indicator = "HIGH"
    else:
        indicator = "" if low is None and high is None else "NORMAL"
    return {"ANRLO": low, "ANRHI": high, "ANRIND": indicator}


def _baselines(records: list[Record], subjects: Mapping[str, Record]) -> None:
    groups: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        groups.setdefault((record["USUBJID"], record["PARAMCD"]), []).append(record)
    for (subject_id, _), series in groups.items():
        first = subjects[subject_id].get("TRTSDT")
        before = [r for r in series if isinstance(first, dt.date) and r["ADT"] <= first]
        baseline = before[-1] if before else None
        analysed: dict[str, Record] = {}
        for record in series:
            record["ABLFL"] = "Y" if record is baseline else ""
            record["BASE"] = None if baseline is None else baseline["AVAL"]
            if "ANRIND" in record:
                record["BNRIND"] = "" if baseline is None else baseline["ANRIND"]
            after = baseline is not None and record["ADT"] > baseline["ADT"]
            # Rounded past any recorded precision: the binary difference of two decimals
            # (1.2 - 2.1 = -0.9000000000000001) would otherwise carry float noise into the
            # datasets, differing between equal changes from different values.
            record["CHG"] = round(record["AVAL"] - baseline["AVAL"], CHANGE_DECIMALS) \
                if after and baseline else None
            base = baseline["AVAL"] if baseline else 0.0
            record["PCHG"] = 100 * record["CHG"] / base if record["CHG"] is not None and \
                base else None
            if after and not math.isnan(record["AVISITN"]):
                analysed[record["AVISIT"]] = record  # the latest record at the visit
        for record in series:
            chosen = record is baseline or analysed.get(record["AVISIT"]) is record
            record["ANL01FL"] = "Y" if chosen else ""
