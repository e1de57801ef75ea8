"""Candidates from a population declared as data: the distributions of a patient record's
rows (diagnosis codes, scores, dates relative to the index date or to another row) written
in a scenario file, each with its source, for any protocol's record tables.

The reference MS scenario keeps its disease-history generator (``candidates``: relapses and
lesions from a frailty model, so selection on recent activity regresses to the mean). Any
other population — a stroke population with its NIHSS, onset and pre-stroke mRS, or an MS
population of a protocol whose rules need other tables — is declared here instead of coded:
nothing in this module knows a disease. The records go through ``parse_record`` and the real
``screen``, so the screen-failure rate is what the protocol's rules make of the declared
population.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from trialkit.core.eligibility.compile import compile_criteria, screen
from trialkit.core.eligibility.record import parse_record
from trialkit.core.protocol._base import Frozen, Ident
from trialkit.core.protocol.model import Protocol
from trialkit.core.randomization.lists import StratumKey
from trialkit.core.simulation.plan import stratum_reader
from trialkit.core.simulation.scenario_file import Cites, Num, Value

Scalar = float | int | str | bool
YEAR = 365.25


class Draw(Frozen):
    """One declared distribution: a constant, a categorical, a normal, a uniform or a Poisson
    draw, optionally clipped to [low, high] and rounded to a step; or, for a column, one of
    several draws by the value of a column of the candidate's first row of an earlier table
    (``given: table.column`` with ``cases``): the dependence the rules may need between
    tables (the paresis on the side opposite the lesion)."""

    value: Scalar | None = None
    choices: tuple[Scalar, ...] | None = None
    p: tuple[Num, ...] | None = None
    normal: tuple[Num, Num] | None = None
    """Mean and SD."""
    uniform: tuple[Num, Num] | None = None
    poisson: Num | None = None
    low: Num | None = None
    high: Num | None = None
    step: Num | None = None
    given: str | None = None
    """``table.column`` the cases are keyed by."""
    cases: dict[str, Draw] | None = None
    source: Cites

    @model_validator(mode="after")
    def _one_kind(self) -> Draw:
        kinds = [k for k in ("value", "choices", "normal", "uniform", "poisson", "given")
                 if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of value, choices (with p), normal, uniform, "
                             "poisson, given (with cases)")
        if (self.given is None) != (self.cases is None):
            raise ValueError("given and cases go together")
        if self.choices is not None:
            if self.p is None or len(self.p) != len(self.choices):
                raise ValueError("choices need one probability each (p)")
            if abs(sum(self.p) - 1.0) > 1e-6 or min(self.p) < 0:
                raise ValueError("p: probabilities that sum to 1")
        return self

    def sample(self, rng: np.random.Generator, size: int,
               condition: Sequence[Any] | None = None) -> npt.NDArray[Any]:
        """``size`` draws; a conditional draw takes each row's value of its ``given`` column
        (a row whose value has no case gets none)."""
        if self.cases is not None:
            keys = np.array([str(c) if c is not None else "" for c in (condition or [])],
                            dtype=object)
            out = np.full(size, None, dtype=object)
            for key, draw in self.cases.items():  # every case drawn whole: the draws do not
                drawn = draw.sample(rng, size)    # depend on which rows match
                out[keys == key] = drawn[keys == key]
            return out
        if self.value is not None:
            return np.full(size, self.value, dtype=object)
        if self.choices is not None:
            assert self.p is not None
            picked = rng.choice(len(self.choices), size=size, p=np.asarray(self.p) / sum(self.p))
            return np.array([self.choices[i] for i in picked], dtype=object)
        if self.normal is not None:
            drawn = rng.normal(self.normal[0], self.normal[1], size)
        elif self.uniform is not None:
            drawn = rng.uniform(self.uniform[0], self.uniform[1], size)
        else:
            assert self.poisson is not None
            drawn = rng.poisson(self.poisson, size).astype(float)
        if self.step:
            drawn = np.round(drawn / self.step) * self.step
        return np.clip(drawn, self.low if self.low is not None else -np.inf,
                       self.high if self.high is not None else np.inf)

    def cites(self) -> list[str]:
        found = [self.source] if isinstance(self.source, str) else list(self.source)
        for draw in (self.cases or {}).values():
            found += draw.cites()
        return found


class TableRows(Frozen):
    """Rows of one record table per candidate."""

    table: Ident
    rows: Draw | None = None
    """How many rows each candidate has (default one)."""
    day: Draw
    """The row's date in days from the anchor (negative: before)."""
    after: Ident | None = None
    """Anchor: the first row of this (earlier listed) table; else the index date. A candidate
    without that row gets none of these."""
    end_day: Draw | None = None
    """The row's end in days after its date (a table with an end column); none: ongoing."""
    columns: dict[Ident, Draw] = Field(default_factory=dict)


class Population(Frozen):
    """A population declared as data (docs/simulation.md, "A population declared as data")."""

    age_years: Draw
    female: Value
    """Share of women."""
    attestations: dict[Ident, Value] = Field(default_factory=dict)
    """Probability an investigator attests yes, per attestation key the criteria read."""
    tables: tuple[TableRows, ...] = Field(min_length=1)

    def cites(self) -> list[str]:
        found = [*self.age_years.cites(), *_value_cites(self.female)]
        for value in self.attestations.values():
            found += _value_cites(value)
        for rows in self.tables:
            draws = [rows.rows, rows.day, rows.end_day, *rows.columns.values()]
            found += [c for d in draws if d is not None for c in d.cites()]
        return found


def _value_cites(value: Value) -> list[str]:
    return [value.source] if isinstance(value.source, str) else list(value.source)


def problems(population: Population, protocol: Protocol) -> list[tuple[str, str]]:
    """Tables and columns the protocol's record does not have, anchors listed later, and
    attestation keys the criteria read that the population does not answer."""
    schema = protocol.record_schema()
    tables = {t.id: t for t in schema.tables}
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, rows in enumerate(population.tables):
        where = f"population.tables.{i}"
        table = tables.get(rows.table)
        if table is None:
            found.append((f"{where}.table", f"'{rows.table}' is not a table of the record"))
            continue
        columns = {c.id for c in table.columns}
        found += [(f"{where}.columns.{c}", f"'{c}' is not a column of '{table.id}'")
                  for c in rows.columns if c not in columns or c in (table.date, table.end)]
        for c, draw in rows.columns.items():
            if draw.given is not None:
                other, _, other_column = draw.given.partition(".")
                if other not in seen or other_column not in {
                        col.id for col in tables[other].columns}:
                    found.append((f"{where}.columns.{c}.given", f"'{draw.given}' is not a "
                                  "column of a table listed before"))
        if rows.after is not None and rows.after not in seen:
            found.append((f"{where}.after", f"'{rows.after}' is not a table listed before"))
        if rows.end_day is not None and table.end is None:
            found.append((f"{where}.end_day", f"'{table.id}' has no end column"))
        seen.add(rows.table)
    asked = set(_attestation_keys(protocol))
    missing = sorted(asked - set(population.attestations))
    if missing:
        found.append(("population.attestations", "the criteria read attestation(s) the "
                      f"population does not answer: {', '.join(missing)}"))
    return found


def _attestation_keys(protocol: Protocol) -> list[str]:
    from trialkit.core.simulation.attestations import attestation_answers
    return [key for key, _, _ in attestation_answers(compile_criteria(protocol))]


def records(population: Population, protocol: Protocol, rng: np.random.Generator, size: int,
            index: dt.date) -> list[dict[str, Any]]:
    """``size`` candidates' record data (the JSON ``parse_record`` reads), screened on
    ``index``. Draws go table by table over all candidates, so the result is a function of
    the generator's state only."""
    schema = protocol.record_schema()
    ages = np.asarray(population.age_years.sample(rng, size), dtype=float)
    female = rng.random(size) < population.female.value
    answers = {key: rng.random(size) < value.value
               for key, value in population.attestations.items()}
    data: list[dict[str, Any]] = []
    for i in range(size):
        birth = index - dt.timedelta(days=int(ages[i] * YEAR))
        data.append({"patient_id": f"candidate-{i + 1}", "sex": "female" if female[i] else "male",
                     "birth_date": birth.isoformat(), "consent_date": index.isoformat(),
                     "index_date": index.isoformat(),
                     "observation_period": {"start": (index - dt.timedelta(days=int(10 * YEAR))
                                                      ).isoformat(),
                                            "end": index.isoformat()},
                     "attestations": {k: bool(v[i]) for k, v in answers.items()}})
    first_day: dict[str, list[int | None]] = {}
    first_row: dict[str, list[dict[str, Any] | None]] = {}
    for rows in population.tables:
        table = schema.table(rows.table)
        kinds = {c.id: c.type for c in table.columns}
        counts = (np.asarray(rows.rows.sample(rng, size), dtype=float).astype(int)
                  if rows.rows is not None else np.ones(size, dtype=int))
        total = int(counts.sum())
        days = np.asarray(rows.day.sample(rng, total), dtype=float)
        ends = (np.asarray(rows.end_day.sample(rng, total), dtype=float)
                if rows.end_day is not None else None)
        owner = np.repeat(np.arange(size), counts)
        values = {c: draw.sample(rng, total, _condition(draw, first_row, owner))
                  for c, draw in rows.columns.items()}
        anchors = first_day.get(rows.after) if rows.after else None
        firsts: list[int | None] = []
        heads: list[dict[str, Any] | None] = []
        at = 0
        for i in range(size):
            anchor = 0 if anchors is None else anchors[i]
            made: list[dict[str, Any]] = []
            for r in range(at, at + int(counts[i])):
                if anchor is None:
                    continue
                day = anchor + round(float(days[r]))
                row: dict[str, Any] = {table.date: (index + dt.timedelta(days=day)).isoformat()}
                if table.end is not None:
                    row[table.end] = (None if ends is None else
                                      (index + dt.timedelta(days=day + int(ends[r]))).isoformat())
                row.update({c: _typed(values[c][r], kinds[c]) for c in values})
                made.append(row)
            at += int(counts[i])
            made.sort(key=lambda row: row[table.date])
            firsts.append(None if not made else
                          (dt.date.fromisoformat(made[0][table.date]) - index).days)
            heads.append(made[0] if made else None)
            data[i].setdefault(table.id, []).extend(made)
        first_day[rows.table], first_row[rows.table] = firsts, heads
    return data


def _condition(draw: Draw, first_row: dict[str, list[dict[str, Any] | None]],
               owner: npt.NDArray[np.int64]) -> list[Any] | None:
    """Each row's value of the column a conditional draw is keyed by (its candidate's first
    row of that table)."""
    if draw.given is None:
        return None
    table, _, column = draw.given.partition(".")
    heads = first_row[table]
    return [None if heads[i] is None else heads[i].get(column)
            for i in owner]


def _typed(value: Any, kind: str) -> Scalar | None:
    if value is None:
        return None
    if kind in ("integer", "count"):
        return round(float(value))
    if kind in ("number", "decimal", "float"):
        return float(value)
    if isinstance(value, (np.floating, float)) and float(value).is_integer():
        return int(value) if kind not in ("text", "code", "choice") else str(int(value))
    return value.item() if isinstance(value, np.generic) else value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DeclaredPool:
    """Screened candidates of a declared population, one entry per candidate."""

    data: tuple[dict[str, Any], ...]
    eligible: npt.NDArray[np.bool_]
    verdicts: dict[str, int]
    ruled_out_by: dict[str, int]
    strata: tuple[StratumKey | None, ...]

    @property
    def size(self) -> int:
        return len(self.eligible)

    @property
    def eligible_rate(self) -> float:
        return float(self.eligible.mean())


def build(population: Population, protocol: Protocol, rng: np.random.Generator, size: int,
          index: dt.date) -> DeclaredPool:
    """Generate and screen ``size`` candidates with the protocol's own engine; incomplete is
    a failure (missing data never makes a patient eligible)."""
    compiled = compile_criteria(protocol)
    schema, catalogue = protocol.record_schema(), protocol.lab_catalogue()
    data = records(population, protocol, rng, size, index)
    parsed = [parse_record(d, schema, catalogue) for d in data]
    results = [screen(compiled, record) for record in parsed]
    eligible = np.array([r.verdict == "eligible" for r in results])
    ruled_out: Counter[str] = Counter()
    for result in results:
        if result.verdict == "ineligible":
            ruled_out.update(c.id for c in result.criteria if (
                c.kind == "inclusion" and c.outcome.status == "not_met") or (
                c.kind == "exclusion" and c.outcome.status == "met"))
    randomization = protocol.randomization
    strata: list[StratumKey | None] = []
    readers = ([(s.id, stratum_reader(protocol, s)) for s in randomization.strata]
               if randomization is not None else [])
    for record, ok in zip(parsed, eligible, strict=True):
        levels = [(factor, read(record)) for factor, read in readers] if ok else []
        known = bool(ok) and all(level is not None for _, level in levels)
        strata.append(tuple((f, str(level)) for f, level in levels) if known else None)
    return DeclaredPool(tuple(data), eligible, dict(Counter(r.verdict for r in results)),
                        dict(ruled_out), tuple(strata))
