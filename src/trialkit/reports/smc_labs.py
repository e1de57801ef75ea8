"""Laboratory shift tables for the committee report: each test's reference-range category at
baseline against its worst category after the first administration, participants counted once.

One implementation: the records, their categories and baselines are the laboratory BDS
datasets of ``trialkit.core.adam`` (ANRIND, BNRIND, BASE against TRTSDT: the baseline is the
last value on or before the first administration), and the counting is the core's
``shift_table`` with each participant reduced to their worst record. The report only chooses
the order and the labels: after dosing HIGH counts as worse than LOW, which counts as worse
than NORMAL (the liver and coagulation tests a safety committee reviews are judged against
their upper limits); a value with no limit recorded cannot be placed and is "NO RANGE"; a
dosed participant with a value before dosing and none after it is counted under "none after
dosing" (a placeholder record ranked below every category, so any real value replaces it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trialkit.core.adam import AnalysisDatasets
from trialkit.core.analysis.shift import MISSING, ShiftResult, shift_table
from trialkit.core.analysis.table import Table
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.analysis_datasets import DatasetSpec, dataset_specs
from trialkit.core.reporting.display import DisplayTable

CATEGORIES = ("LOW", "NORMAL", "HIGH", "NO RANGE")
NONE_AFTER = "none after dosing"
MISSING_BASELINE = "no baseline"
# Best to worst, as shift_table reduces a participant's records to the worst of this order.
WORST_ORDER = (NONE_AFTER, "NO RANGE", "NORMAL", "LOW", "HIGH")
DOSED = "dosed"  # one group: the report's tables are pooled (arms come only from a data cut)


@dataclass(frozen=True)
class LabTest:
    dataset: str
    form: str
    item: str
    code: str
    name: str
    unit: str
    date_item: str
    upper: str | None
    lower: str | None


def lab_tests(protocol: Protocol) -> list[LabTest]:
    """Every parameter of every laboratory form's BDS dataset, with its range items."""
    found: list[LabTest] = []
    for spec in _laboratory_specs(protocol):
        form = next(f for f in protocol.forms if f.id == spec.form)
        units = {i.id: i.unit or "" for i in form.items}
        found.extend(LabTest(spec.name, spec.form, p.item, p.code, p.name,
                             units.get(p.item, ""), spec.date_item, p.high_item or None,
                             p.low_item or None) for p in spec.parameters)
    return found


def _laboratory_specs(protocol: Protocol) -> list[DatasetSpec]:
    kinds = {f.id: f.kind for f in protocol.forms}
    return [s for s in dataset_specs(protocol).values()
            if s.structure == "BDS" and s.form and kinds.get(s.form) == "laboratory"]


def shift_tables(protocol: Protocol, datasets: AnalysisDatasets) -> list[DisplayTable]:
    """One table per test with any value of a dosed participant: baseline category (rows) by
    worst category after the first administration (columns)."""
    tables = []
    for test in lab_tests(protocol):
        data = _shift_input(datasets.tables[test.dataset], test.code)
        if data is None:
            continue
        result = shift_table(data, response="ANRIND", baseline="BNRIND", treatment="GROUP",
                             subject="USUBJID", order=WORST_ORDER)
        tables.append(_display(test, result))
    return tables


def _shift_input(dataset: Table, code: str) -> Table | None:
    """The parameter's records of dosed participants: those after the first administration
    with their category, and one placeholder per participant ("none after dosing")."""
    if dataset.n_rows == 0:
        return None
    mine = (dataset.text("PARAMCD") == code) & ~np.isnat(dataset["TRTSDT"])
    if not mine.any():
        return None
    records = dataset.where(mine)
    ranged = "ANRIND" in records
    after = records["ADT"] > records["TRTSDT"]
    subjects = records.text("USUBJID")
    category = _labels(records.text("ANRIND")) if ranged else np.full(
        records.n_rows, "NO RANGE", dtype=object)
    baseline = _baseline(records, ranged)
    first = {s: i for i, s in reversed(list(enumerate(subjects)))}  # a record per person
    placeholders = sorted(first.values())
    return Table({
        "USUBJID": np.concatenate([subjects[after], subjects[placeholders]]),
        "ANRIND": np.concatenate([category[after],
                                  np.full(len(placeholders), NONE_AFTER, dtype=object)]),
        "BNRIND": np.concatenate([baseline[after], baseline[placeholders]]),
        "GROUP": np.full(int(after.sum()) + len(placeholders), DOSED, dtype=object)})


def _labels(indicators: np.ndarray) -> np.ndarray:
    """ANRIND as the report names it: a record without a limit is "NO RANGE"."""
    return np.array([v or "NO RANGE" for v in indicators], dtype=object)


def _baseline(records: Table, ranged: bool) -> np.ndarray:
    """BNRIND per record: "NO RANGE" for a baseline without a limit, "" for no baseline."""
    base = records.numeric("BASE")
    indicator = records.text("BNRIND") if ranged else np.full(records.n_rows, "",
                                                              dtype=object)
    return np.array(["" if math.isnan(b) else (i or "NO RANGE")
                     for b, i in zip(base, indicator, strict=True)], dtype=object)


def _display(test: LabTest, result: ShiftResult) -> DisplayTable:
    (dosed,) = result.arms
    columns = (*CATEGORIES, NONE_AFTER)
    rows = []
    for row in dosed.rows:
        counts = {c.category: c.n for c in row.counts}
        if row.n:
            label = MISSING_BASELINE if row.baseline == MISSING else row.baseline
            rows.append((f"Baseline {label}", *(str(counts.get(c, 0)) for c in columns),
                         str(row.n)))
    order = [f"Baseline {b}" for b in (*CATEGORIES, MISSING_BASELINE)]
    rows.sort(key=lambda r: order.index(r[0]))
    unit = f" ({test.unit})" if test.unit else ""
    notes = () if test.upper or test.lower else (
        "the protocol records no normal range for this test",)
    return DisplayTable(f"Shift table: {test.name}{unit} [{test.code}], worst after the first "
                        "administration", ("", *(f"Worst {c}" if c != NONE_AFTER else c
                                                  for c in columns), "Participants"),
                        tuple(rows), notes)
