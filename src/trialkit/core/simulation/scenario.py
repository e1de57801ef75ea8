"""Loading a scenario file, expanding its scenarios and grids, and checking it against the
protocol it simulates.

Every problem is reported with the path of the value it is about, never as a traceback:
``ScenarioError(problems=[(path, message)])``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.record import TableDef
from trialkit.core.simulation.scenario_file import (
    COURSES,
    MODEL_KINDS,
    ByCourse,
    ScenarioDef,
    ScenarioFile,
    Value,
)

Problem = tuple[str, str]


class ScenarioError(ValueError):
    """A scenario file that cannot be simulated; each problem names its path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" if path else message
                                   for path, message in problems))


@dataclass(frozen=True)
class Scenario:
    """One simulated scenario: the file's values with its own settings applied."""

    id: str
    settings: tuple[tuple[str, float], ...]
    """(dotted path, value) that differ from the file, in the order they were set."""
    values: ScenarioFile

    def setting(self, path: str) -> float | None:
        return dict(self.settings).get(path)


def load_scenario_file(path: Path) -> tuple[ScenarioFile, dict[str, Any]]:
    """The validated file and its raw data (grids are applied to the raw data)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError([("", f"cannot read {path}: {exc}")]) from None
    if not isinstance(raw, dict):
        raise ScenarioError([("", f"{path} does not hold a scenario file (a mapping)")])
    return validate(raw), raw


def validate(raw: Mapping[str, Any]) -> ScenarioFile:
    try:
        return ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([(".".join(str(part) for part in error["loc"]), error["msg"])
                             for error in exc.errors()]) from None


def protocol_path(file: ScenarioFile, scenario_path: Path) -> Path | None:
    """The protocol the file names, relative to the file."""
    return (scenario_path.parent / file.protocol).resolve() if file.protocol else None


def expand(file: ScenarioFile, raw: Mapping[str, Any]) -> tuple[Scenario, ...]:
    """Every scenario of the file, grids expanded, in file order."""
    scenarios: list[Scenario] = []
    for definition in file.scenarios:
        for combination in _combinations(definition):
            settings = (*definition.set.items(), *combination)
            values = validate(_with_settings(raw, settings)) if settings else file
            label = ", ".join(f"{path.rsplit('.', 1)[-1]}={value:g}"
                              for path, value in combination)
            scenario_id = f"{definition.id}[{label}]" if label else definition.id
            scenarios.append(Scenario(scenario_id, tuple(settings), values))
    return tuple(scenarios)


def _combinations(definition: ScenarioDef) -> Iterator[tuple[tuple[str, float], ...]]:
    axes = [[(axis.parameter, value) for value in axis.values] for axis in definition.grid]
    yield from itertools.product(*axes)


def _with_settings(raw: Mapping[str, Any], settings: tuple[tuple[str, float], ...]
                   ) -> dict[str, Any]:
    data = copy.deepcopy(dict(raw))
    for path, value in settings:
        node: Any = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        leaf = node.get(parts[-1]) if isinstance(node, dict) else None
        if not isinstance(leaf, dict) or "value" not in leaf or isinstance(leaf["value"], list):
            raise ScenarioError([(path, "is not a single value of this file (a setting "
                                        "names a {value, source} entry)")])
        leaf["value"] = value
    return data


def check_against(file: ScenarioFile, protocol: Protocol) -> None:
    """Raise ScenarioError unless this file can simulate ``protocol``."""
    problems = [*_model(file, protocol), *_design(file, protocol), *_endpoints(file, protocol)]
    if problems:
        raise ScenarioError(problems)


def _model(file: ScenarioFile, protocol: Protocol) -> Iterator[Problem]:
    if file.model not in MODEL_KINDS:
        yield ("model", f"'{file.model}' is not a disease model trialkit simulates (known: "
                        f"{', '.join(MODEL_KINDS)})")
        return
    schema = protocol.record_schema()
    who = protocol.identity.id
    missing = []
    for name, target in file.record:
        table_id, _, column = str(target).partition(".")
        table = next((t for t in schema.tables if t.id == table_id), None)
        if table is None:
            missing.append((f"record.{name}", f"protocol {who} has no record table "
                                              f"'{table_id}'"))
        elif column and _column_type(table, column) is None:
            missing.append((f"record.{name}", f"table '{table_id}' has no column '{column}'"))
        elif name in _KINDS and _column_type(table, column) not in _KINDS[name]:
            missing.append((f"record.{name}", f"'{target}' is a {_column_type(table, column)} "
                                              f"column; expected {' or '.join(_KINDS[name])}"))
    yield from missing
    if missing:
        yield ("model", f"protocol {who}'s record does not hold what the "
                        f"'{file.model}' model simulates: this protocol's endpoints have no "
                        "model in this scenario file; a design-level file simulates its "
                        "randomized comparison (docs/simulation.md, 'Other diseases')")
    enhancing, new = file.record.enhancing_lesions, file.record.new_lesions
    if enhancing.split(".")[0] != new.split(".")[0]:
        yield ("record.new_lesions", "both lesion counts must be columns of one scan table")
    for name in ("course_mix",):
        value: ByCourse = getattr(file.population, name)
        if abs(sum(value.value) - 1.0) > 1e-9:
            yield (f"population.{name}", f"the {COURSES} shares must sum to 1")


_KINDS = {"disability": ("number",), "enhancing_lesions": ("count",),
          "new_lesions": ("count",)}


def _column_type(table: TableDef, column: str) -> str | None:
    found = next((c for c in table.columns if c.id == column), None)
    return found.type if found is not None else None


def _design(file: ScenarioFile, protocol: Protocol) -> Iterator[Problem]:
    for part in protocol.design.parts:
        if part.is_crossover:
            yield ("", f"part '{part.id}' is a crossover part: the whole-protocol "
                       "simulation runs parallel and sequential parts; a design-level file "
                       "(model crossover_counts) simulates the crossover comparison "
                       "(docs/simulation.md, 'Other diseases and designs')")
    randomization = protocol.randomization
    if randomization is None:
        yield ("effects.arm", "the protocol randomizes no part: there is no comparison")
        return
    part = protocol.part(randomization.part)
    if file.effects.arm not in part.arms:
        yield ("effects.arm", f"'{file.effects.arm}' is not an arm of part '{part.id}' "
                              f"({', '.join(part.arms)})")


def _endpoints(file: ScenarioFile, protocol: Protocol) -> Iterator[Problem]:
    known = {e.id for e in protocol.endpoints}
    visits = {v.id for v in protocol.schedule.visits if v.day is not None}
    for i, endpoint in enumerate(file.endpoints):
        here = f"endpoints.{i}"
        if endpoint.id not in known:
            yield (f"{here}.id", f"'{endpoint.id}' is not an endpoint of the protocol")
        for field, visit in _visits_of(endpoint.measure):
            if visit not in visits:
                yield (f"{here}.measure.{field}", f"'{visit}' is not a scheduled visit")


def _visits_of(measure: Any) -> Iterator[tuple[str, str]]:
    for field in ("from_visit", "to_visit", "until_visit"):
        if hasattr(measure, field):
            yield field, getattr(measure, field)
    for j, visit in enumerate(getattr(measure, "visits", ())):
        yield f"visits.{j}", visit


def value_at(file: ScenarioFile, path: str) -> Value | ByCourse:
    """The entry at a dotted path (for reports: its source)."""
    node: Any = file
    for part in path.split("."):
        node = getattr(node, part)
    if not isinstance(node, (Value, ByCourse)):
        raise KeyError(path)
    return node
