"""Everything one scenario's trials share, computed once: the protocol's plan, the screened
candidate pool, the scale of the disability score and which visits rate it or read a scan."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trialkit.core.protocol.canonical import protocol_version
from trialkit.core.protocol.model import Protocol
from trialkit.core.simulation.candidates import CandidatePool, build_pool, scale_of
from trialkit.core.simulation.cohort_base import Scale
from trialkit.core.simulation.plan import TrialPlan, plan_for
from trialkit.core.simulation.scenario import Scenario, ScenarioError, check_against
from trialkit.core.simulation.scenario_file import ChangeMeasure, ScenarioFile

DEFAULT_POOL = 2000


@dataclass(frozen=True)
class Setup:
    scenario: Scenario
    plan: TrialPlan
    pool: CandidatePool
    eligible: npt.NDArray[np.int64]
    """Pool indices of the eligible candidates (with a known stratum)."""
    usable: npt.NDArray[np.bool_]
    """Per pool candidate: eligible with a known stratum."""
    scale: Scale
    start: dt.date
    rating_visits: tuple[str, ...]
    scan_visits: tuple[str, ...]

    @property
    def file(self) -> ScenarioFile:
        return self.scenario.values


def population_key(protocol: Protocol, file: ScenarioFile, size: int) -> str:
    """What a candidate pool depends on: scenarios that share it share one pool."""
    data = {"protocol": protocol_version(protocol), "size": size,
            "record": file.record.model_dump(mode="json"),
            "population": file.population.model_dump(mode="json"),
            "start": start_of(protocol, file).isoformat()}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def start_of(protocol: Protocol, file: ScenarioFile) -> dt.date:
    return file.start or protocol.status.start.date


def pool_for(protocol: Protocol, file: ScenarioFile, seed: int, size: int = DEFAULT_POOL
             ) -> CandidatePool:
    """The screened pool: its own seed stream, so every worker builds the same pool."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 1,)))
    try:
        return build_pool(protocol, file, rng, size, start_of(protocol, file))
    except ValueError as exc:
        raise ScenarioError([("population", str(exc))]) from None


def prepare(protocol: Protocol, scenario: Scenario, pool: CandidatePool) -> Setup:
    file = scenario.values
    check_against(file, protocol)
    plan = plan_for(protocol, file)
    usable = pool.eligible & np.array([s is not None for s in pool.strata])
    eligible = np.flatnonzero(usable)
    if len(eligible) == 0:
        raise ScenarioError([("population", f"none of the {pool.size} simulated candidates is "
                                            "eligible under the protocol's rules")])
    ratings = tuple(v.id for v in plan.visits if v.rates_disability)
    scans = tuple(v.id for v in plan.visits if v.reads_scan)
    _check_measures(file, ratings)
    return Setup(scenario, plan, pool, eligible.astype(np.int64), usable,
                 scale_of(protocol, file.record.disability), start_of(protocol, file),
                 ratings, scans)


def _check_measures(file: ScenarioFile, ratings: tuple[str, ...]) -> None:
    problems = []
    for i, endpoint in enumerate(file.endpoints):
        measure = endpoint.measure
        if isinstance(measure, ChangeMeasure):
            problems += [(f"endpoints.{i}.measure.{name}", f"visit '{visit}' collects no "
                          "rating of the disability score")
                         for name, visit in (("from_visit", measure.from_visit),
                                             ("to_visit", measure.to_visit))
                         if visit not in ratings]
            if endpoint.method != "ancova":
                problems.append((f"endpoints.{i}.method", "a change is analysed by ancova"))
        elif endpoint.method in ("ancova",) or (
                endpoint.method == "proportions") != (measure.kind == "no_activity"):
            problems.append((f"endpoints.{i}.method", f"'{endpoint.method}' does not analyse "
                                                      f"a {measure.kind} measure"))
    if problems:
        raise ScenarioError(problems)
