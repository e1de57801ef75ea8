"""Scenario files for the simulation tests: the reference scenario file, and variants of it
built by changing its raw data (so each test states what it changes)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tests.conftest import REFERENCE_PROTOCOL, ROOT
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.core.simulation.candidates import CandidatePool, build_pool
from trialkit.core.simulation.scenario import Scenario, expand, validate

REFERENCE_SCENARIOS = ROOT / "scenarios" / "nct05532943.yaml"
START = dt.date(2023, 9, 8)


def reference_raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REFERENCE_SCENARIOS.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def set_value(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path``'s value (a ``{value, source}`` entry) in raw scenario data."""
    node = raw
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf]["value"] = value


def only(raw: dict[str, Any], *endpoints: str) -> dict[str, Any]:
    raw["endpoints"] = [e for e in raw["endpoints"] if e["id"] in endpoints]
    return raw


def scenarios_of(raw: dict[str, Any], *ids: str) -> tuple[Scenario, ...]:
    file = validate(raw)
    found = expand(file, raw)
    return tuple(s for s in found if not ids or s.id.split("[")[0] in ids)


@pytest.fixture(scope="session")
def protocol() -> Protocol:
    return load_protocol(REFERENCE_PROTOCOL)


@pytest.fixture(scope="session")
def reference_pool(protocol: Protocol) -> CandidatePool:
    """400 referred candidates of the reference population, screened (about 2 s)."""
    return build_pool(protocol, validate(reference_raw()), np.random.default_rng(2026), 400,
                      START)


def quiet(raw: dict[str, Any]) -> dict[str, Any]:
    """Relapses that leave no mark on the disability score, no rating noise or course slope,
    no dropout or missed visits, no related serious events: the disability change is the
    slope spread alone, normal and independent of the baseline (what the two-sample t test
    assumes). Relapses and lesions still happen: candidates are referred on them."""
    for path, value in (("population.relapse_peak", 0.0),
                        ("population.relapse_residual", 0.0),
                        ("population.disability_slope", [0.0] * 4),
                        ("population.rating_noise", 0.0),
                        ("conduct.dropout_per_year", 0.0), ("conduct.missed_visit", 0.0),
                        ("safety.related_serious_risk", 0.0)):
        set_value(raw, path, value)
    return raw


Factory = Callable[..., Any]


@pytest.fixture(scope="session")
def scenario_path(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], Path]:
    """Write raw scenario data next to a copy of nothing: its protocol path is absolute."""
    folder = tmp_path_factory.mktemp("scenarios")

    def write(raw: dict[str, Any], name: str = "scenarios.yaml") -> Path:
        data = copy.deepcopy(raw)
        data["protocol"] = str(REFERENCE_PROTOCOL)
        path = folder / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path
    return write
