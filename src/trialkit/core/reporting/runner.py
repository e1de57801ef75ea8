"""Run every analysis a protocol declares on its analysis datasets; results as plain data.

Each analysis is restricted to its analysis set (the ADSL flag carried by every dataset), its
parameter and its data subset, then given to its registry method with the parameters
``binding`` fills. In a pooled (blinded) view nothing compares arms: a comparison is replaced
by the description of the same data (ANCOVA, MMRM and the crossover by a summary, count
models by crude rates with exact intervals, Cox and log-rank by one Kaplan–Meier curve, the
proportional-odds model by the pooled distribution), safety tables and
proportions lose their reference arm, and each result says what ran instead. An analysis that
cannot run on the data (too few participants yet) gives its error as a note, never stops the
others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trialkit.core.adam import AnalysisDatasets
from trialkit.core.analysis.binding import bind
from trialkit.core.analysis.catalogue import method as registry_method
from trialkit.core.analysis.registry import Method
from trialkit.core.analysis.results import as_data
from trialkit.core.analysis.subsets import select, where_from_data
from trialkit.core.analysis.table import Table
from trialkit.core.protocol.analyses import Analysis
from trialkit.core.protocol.model import Protocol

POOLED_METHOD = {"ancova": "summary", "mmrm": "summary", "negative_binomial": "rates",
                 "poisson": "rates", "cox": "kaplan_meier", "logrank": "kaplan_meier",
                 "proportional_odds": "shift_table", "crossover": "summary"}
SAFETY = ("subjects", "events")
FAILURES = (ValueError, ArithmeticError, np.linalg.LinAlgError)
"""What a method raises on data it cannot analyse (AnalysisInputError is a ValueError)."""


@dataclass(frozen=True)
class Outcome:
    analysis: Analysis
    ran: str
    """The method that ran (another one in a pooled view)."""
    n: int
    """Records analysed (for safety tables: participants in the analysis set)."""
    result: Any
    """The result as plain data (``as_data``) with its ``type``; None if it could not run."""
    notes: tuple[str, ...]

    def as_data(self) -> dict[str, Any]:
        a = self.analysis
        return {"id": a.id, "name": a.name, "method": a.method, "ran": self.ran,
                "dataset": a.dataset, "parameter": a.parameter, "variable": a.variable,
                "analysis_set": a.analysis_set, "grouping": a.grouping, "n": self.n,
                "result": self.result, "notes": list(self.notes),
                "decimals": a.display.decimals, "title": a.display.title or a.name}


def run_all(protocol: Protocol, datasets: AnalysisDatasets) -> list[dict[str, Any]]:
    """Every endpoint with its analyses' outcomes, in the protocol's order."""
    return [{"id": e.id, "kind": e.kind, "name": e.name, "description": e.description,
             "time_frame": e.time_frame, "declared": bool(e.analyses),
             "analyses": [run(protocol, a, datasets).as_data() for a in e.analyses]}
            for e in protocol.endpoints]


def run(protocol: Protocol, analysis: Analysis, datasets: AnalysisDatasets) -> Outcome:
    chosen = POOLED_METHOD.get(analysis.method, analysis.method) if datasets.blinded \
        else analysis.method
    method = registry_method(chosen)
    notes = [] if chosen == analysis.method else [
        f"blinded view: {chosen} of the pooled data in place of {analysis.method}"]
    flag = next(s.flag for s in protocol.analysis_data.sets if s.id == analysis.analysis_set)
    data = _records(analysis, datasets.tables[analysis.dataset], flag)
    inputs = {"data": data}
    if method.inputs == SAFETY:
        subjects = datasets.tables["ADSL"]
        inputs = {"subjects": subjects.where(subjects.text(flag) == "Y"), "events": data}
    parameters = _parameters(protocol, analysis, method, inputs, datasets.blinded)
    try:
        result = method.run(inputs, parameters)
    except FAILURES as exc:
        return Outcome(analysis, chosen, _n(inputs), None, (*notes, f"not estimable: {exc}"))
    plain = as_data(result)
    plain["type"] = type(result).__name__
    return Outcome(analysis, chosen, _n(inputs), plain, (*notes, *plain.get("notes", ())))


def _records(analysis: Analysis, table: Table, flag: str) -> Table:
    chosen = table.where(table.text(flag) == "Y")
    if analysis.parameter is not None:
        chosen = chosen.where(chosen.text("PARAMCD") == analysis.parameter)
    if analysis.data_subset is not None:
        chosen = select(chosen, where_from_data(analysis.data_subset.as_data()))
    return chosen


def _n(inputs: dict[str, Table]) -> int:
    return (inputs.get("subjects") or inputs["data"]).n_rows


def _parameters(protocol: Protocol, analysis: Analysis, method: Method,
                inputs: dict[str, Table], blinded: bool) -> dict[str, Any]:
    known = {p.name for p in method.parameters}
    columns = [name for table in inputs.values() for name in table.names]
    reference = None if blinded or analysis.reference is None else _label(
        protocol, analysis.reference)
    options = {k: v for k, v in analysis.options.items() if k in known}
    if blinded:
        options.pop("comparisons", None)
    bound = bind(method, variable=analysis.variable, grouping=analysis.grouping,
                 reference=reference, covariates=analysis.covariates,
                 factors=analysis.factors, options=options, columns=columns)
    if method.name == "summary" and "visit" in bound and "visit_order" not in bound:
        bound["visit_order"] = [v.id for v in protocol.schedule.visits]
    if method.name == "shift_table" and "levels" in analysis.options and "order" not in bound:
        bound["order"] = analysis.options["levels"]  # a pooled ordinal outcome keeps its scale
    if method.name == "kaplan_meier" and "group" not in bound:
        bound["group"] = analysis.grouping
    return bound


def _label(protocol: Protocol, reference: str) -> str:
    """The grouping value of an arm or sequence id (the datasets hold labels)."""
    for arm in protocol.design.arms:
        if arm.id == reference:
            return arm.label
    for part in protocol.design.parts:
        for sequence in part.sequences:
            if sequence.id == reference:
                return sequence.label
    return reference
