"""Checks across datasets: --SEQ per subject, subjects in DM, RFSTDTC against EX, study days,
one STUDYID, DOMAIN named after its dataset."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

from trialkit.interop.sdtm.check import Check, Finding, Report, Submission
from trialkit.interop.sdtm.checks_data import null
from trialkit.interop.sdtm.iso8601 import full_date
from trialkit.interop.sdtm.rules import TRIAL_DESIGN


def unique_sequence(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        sequence = ds.name[:2] + "SEQ"
        if sequence not in ds.variables or "USUBJID" not in ds.variables:
            continue
        seen: set[tuple[object, object]] = set()
        for number, row in enumerate(ds.rows, start=1):
            key = (row.get("USUBJID"), row.get(sequence))
            if key in seen:
                yield report(ds.name, sequence, number, value=key[1], subject=key[0])
            seen.add(key)


def _dm_column(sub: Submission, name: str) -> dict[str, str]:
    dm = sub.datasets.get("DM")
    if dm is None or name not in dm.variables:
        return {}
    return {row["USUBJID"]: row.get(name) or "" for row in dm.rows}


def subjects_in_dm(sub: Submission, report: Report) -> Iterator[Finding]:
    subjects = set(_dm_column(sub, "USUBJID"))
    for ds in sub.datasets.values():
        if ds.name == "DM" or ds.name in TRIAL_DESIGN or "USUBJID" not in ds.variables:
            continue
        for number, row in enumerate(ds.rows, start=1):
            value = row.get("USUBJID")
            if not null(value) and value not in subjects:
                yield report(ds.name, "USUBJID", number, value=value)


def _first_exposures(sub: Submission) -> dict[str, dt.date]:
    """Each subject's first exposure date: EXSTDTC, else (a blinded export masks EX) the
    ECSTDTC of an administration that occurred."""
    source = sub.datasets.get("EX") or sub.datasets.get("EC")
    if source is None:
        return {}
    prefix = source.name
    first: dict[str, dt.date] = {}
    for row in source.rows:
        day = full_date(row.get(f"{prefix}STDTC") or "")
        if day is None or row.get(f"{prefix}OCCUR") == "N":
            continue
        subject = row["USUBJID"]
        first[subject] = min(day, first.get(subject, day))
    return first


def reference_start_is_first_exposure(sub: Submission, report: Report) -> Iterator[Finding]:
    first, dm = _first_exposures(sub), sub.datasets.get("DM")
    if not first or dm is None:
        return
    for variable in ("RFXSTDTC", "RFSTDTC"):
        if variable not in dm.variables:
            continue
        for number, row in enumerate(dm.rows, start=1):
            start, expected = full_date(row.get(variable) or ""), first.get(row["USUBJID"])
            if expected is not None and start != expected:
                yield report("DM", variable, number, value=row.get(variable) or "null",
                             expected=expected.isoformat(), subject=row["USUBJID"])
        return  # RFXSTDTC is the first exposure by definition; RFSTDTC only when it is absent


def _study_day(day: dt.date, start: dt.date) -> int:
    delta = (day - start).days
    return delta + 1 if delta >= 0 else delta


def study_days_match_reference_start(sub: Submission, report: Report) -> Iterator[Finding]:
    starts = {s: full_date(v) for s, v in _dm_column(sub, "RFSTDTC").items()}
    for ds in sub.datasets.values():
        pairs = [(n, n[:-2] + "DTC") for n in ds.variables
                 if n[2:] in ("DY", "STDY", "ENDY") and n[:-2] + "DTC" in ds.variables]
        for number, row in enumerate(ds.rows, start=1):
            for day_variable, date_variable in pairs:
                day, start = full_date(row.get(date_variable) or ""), starts.get(
                    row.get("USUBJID") or "")
                value = row.get(day_variable)
                if value is None or null(value) or day is None or start is None:
                    continue
                if int(value) != _study_day(day, start):
                    yield report(ds.name, day_variable, number, value=value,
                                 date_variable=date_variable, expected=_study_day(day, start))


def constant_studyid(sub: Submission, report: Report) -> Iterator[Finding]:
    counts = Counter(row.get("STUDYID") for ds in sub.datasets.values() for row in ds.rows)
    if len(counts) <= 1:
        return
    expected = counts.most_common(1)[0][0]
    for ds in sub.datasets.values():
        for number, row in enumerate(ds.rows, start=1):
            if row.get("STUDYID") != expected:
                yield report(ds.name, "STUDYID", number, value=row.get("STUDYID"),
                             expected=expected)


def domain_matches_dataset(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        if "DOMAIN" not in ds.variables:
            continue
        for number, row in enumerate(ds.rows, start=1):
            value = row.get("DOMAIN") or ""
            split = len(value) == 2 and ds.name.startswith(value) and len(ds.name) > 2
            if value != ds.name and not split:
                yield report(ds.name, "DOMAIN", number, value=value)


CHECKS: dict[str, Check] = {
    "unique_sequence": unique_sequence,
    "subjects_in_dm": subjects_in_dm,
    "reference_start_is_first_exposure": reference_start_is_first_exposure,
    "study_days_match_reference_start": study_days_match_reference_start,
    "constant_studyid": constant_studyid,
    "domain_matches_dataset": domain_matches_dataset,
}
