"""Checks within one dataset: variables present and populated, terminology, ISO 8601, keys,
names, labels and lengths. Each yields findings through the rule's ``Report``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trialkit.interop.sdtm.check import Check, Finding, Report, Submission
from trialkit.interop.sdtm.ct import terminology
from trialkit.interop.sdtm.datasetjson import Dataset
from trialkit.interop.sdtm.iso8601 import is_iso8601
from trialkit.interop.sdtm.rules import (
    dictionary_coded,
    is_general,
    standard_codelist,
    standard_variables,
)

SAS_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")


def null(value: Any) -> bool:
    return value is None or value == ""


def _standard(dataset: Dataset, core: str) -> list[str]:
    return standard_variables(dataset.name, core, general=is_general(dataset.name))


def required_variables_present(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        for name in _standard(ds, "Req"):
            if name not in ds.variables:
                yield report(ds.name, name)


def required_variables_populated(sub: Submission, report: Report,
                                 coded: bool = False) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        present = [n for n in _standard(ds, "Req") if n in ds.variables
                   and (n in dictionary_coded()) == coded]
        for number, row in enumerate(ds.rows, start=1):
            yield from (report(ds.name, n, number) for n in present if null(row.get(n)))


def coded_variables_populated(sub: Submission, report: Report) -> Iterator[Finding]:
    return required_variables_populated(sub, report, coded=True)


def expected_variables_present(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        yield from (report(ds.name, n) for n in _standard(ds, "Exp") if n not in ds.variables)


def values_in_terminology(sub: Submission, report: Report) -> Iterator[Finding]:
    ct = terminology()
    for ds in sub.datasets.values():
        for name in ds.variables:
            codelist = ct.get(standard_codelist(ds.name, name))
            if codelist is None:
                continue
            severity = "error" if codelist.extensible is False else "warning"
            for number, row in enumerate(ds.rows, start=1):
                value = row.get(name)
                if not null(value) and value not in codelist:
                    yield report(ds.name, name, number, severity=severity, value=value,
                                 codelist=codelist.code, name=codelist.short or codelist.name)


def values_in_define_codelist(sub: Submission, report: Report) -> Iterator[Finding]:
    if sub.define is None:
        return
    for ds in sub.datasets.values():
        for name in ds.variables:
            oid = sub.define.codelist_of.get((ds.name, name), "")
            allowed = sub.define.codelists.get(oid)
            if allowed is None:
                continue
            cdisc = terminology().get(sub.define.codelist_code.get(oid, ""))
            severity = "error" if cdisc is not None and cdisc.extensible is False else "warning"
            for number, row in enumerate(ds.rows, start=1):
                value = row.get(name)
                if not null(value) and _as_text(value) not in allowed:
                    yield report(ds.name, name, number, severity=severity, value=value,
                                 codelist=oid)


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def iso8601_dates(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        for name in (n for n in ds.variables if n.endswith("DTC")):
            for number, row in enumerate(ds.rows, start=1):
                value = row.get(name)
                if not null(value) and not is_iso8601(str(value)):
                    yield report(ds.name, name, number, value=value)


def unique_keys(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        keys = ds.keys() or (sub.define.keys.get(ds.name, []) if sub.define else [])
        keys = [k for k in keys if k in ds.variables]
        if not keys:
            continue
        seen: dict[tuple[Any, ...], int] = {}
        for number, row in enumerate(ds.rows, start=1):
            key = tuple(row.get(k) for k in keys)
            if key in seen:
                yield report(ds.name, keys[-1], number, keys=", ".join(keys),
                             value=", ".join(map(str, key)))
            seen.setdefault(key, number)


def variable_names(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        yield from (report(ds.name, n) for n in ds.variables if not SAS_NAME.fullmatch(n))


def variable_labels(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        for column in ds.columns:
            if len(column.get("label", "")) > 40:
                yield report(ds.name, column["name"], value=len(column["label"]))


def dataset_names(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        if not SAS_NAME.fullmatch(ds.name):
            yield report(ds.name, value="the name is not a SAS V5 dataset name (8 characters)")
        if len(ds.label) > 40:
            yield report(ds.name, value=f"the label is {len(ds.label)} characters long")


def text_lengths(sub: Submission, report: Report) -> Iterator[Finding]:
    for ds in sub.datasets.values():
        for number, row in enumerate(ds.rows, start=1):
            for name, value in row.items():
                if isinstance(value, str) and len(value) > 200:
                    yield report(ds.name, name, number, value=len(value))


CHECKS: dict[str, Check] = {
    "required_variables_present": required_variables_present,
    "required_variables_populated": required_variables_populated,
    "expected_variables_present": expected_variables_present,
    "coded_variables_populated": coded_variables_populated,
    "values_in_terminology": values_in_terminology,
    "values_in_define_codelist": values_in_define_codelist,
    "iso8601_dates": iso8601_dates,
    "unique_keys": unique_keys,
    "variable_names": variable_names,
    "variable_labels": variable_labels,
    "dataset_names": dataset_names,
    "text_lengths": text_lengths,
}
