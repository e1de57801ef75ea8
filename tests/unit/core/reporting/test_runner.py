"""Declared analyses run on their set, parameter and subset; a pooled view compares nothing;
an analysis the data cannot support reports why and the others still run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import ROOT
from trialkit.core.adam import derive
from trialkit.core.adam.synthetic import synthetic_rows
from trialkit.core.protocol import load_protocol
from trialkit.core.reporting.display import tables_of
from trialkit.core.reporting.runner import run_all

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))


@pytest.fixture(scope="module")
def reference():
    protocol = load_protocol(ROOT / "protocols" / "nct05532943.yaml")
    return protocol, synthetic_rows(protocol, 120, np.random.default_rng(11))


def _outcomes(endpoints):
    return {a["id"]: a for e in endpoints for a in e["analyses"]}


def test_by_arm_every_reference_analysis_runs_its_own_method(reference):
    protocol, rows = reference
    outcomes = _outcomes(run_all(protocol, derive(protocol, rows)))
    assert all(o["ran"] == o["method"] and o["result"] is not None for o in outcomes.values())
    ancova = outcomes["edss_m12_ancova"]["result"]
    assert ancova["reference"] == "Placebo" and ancova["differences"][0]["label"].startswith(
        "UMSC01")
    fas = derive(protocol, rows).tables["ADSL"]
    assert outcomes["cdw_cox"]["n"] == int((fas.text("FASFL") == "Y").sum())
    assert all(tables_of(o) for o in outcomes.values())


def test_a_pooled_view_replaces_comparisons_and_names_no_arm(reference):
    protocol, _ = reference
    pooled = synthetic_rows(protocol, 120, np.random.default_rng(11), unblinded=False)
    endpoints = run_all(protocol, derive(protocol, pooled))
    outcomes = _outcomes(endpoints)
    assert outcomes["edss_m12_ancova"]["ran"] == "summary"
    assert outcomes["arr_nb"]["ran"] == "rates" and outcomes["cdw_cox"]["ran"] == "kaplan_meier"
    assert "blinded view" in outcomes["edss_mmrm"]["notes"][0]
    text = json.dumps(endpoints)
    for arm in protocol.design.arms:
        assert arm.label not in text, arm.label


def test_an_analysis_the_data_cannot_support_reports_why_and_the_rest_run(reference):
    protocol, _ = reference
    few = synthetic_rows(protocol, 3, np.random.default_rng(2))
    outcomes = _outcomes(run_all(protocol, derive(protocol, few)))
    failed = [o for o in outcomes.values() if o["result"] is None]
    assert failed and all(o["notes"][-1].startswith("not estimable: ") for o in failed)
    assert outcomes["teae_overview"]["result"] is not None


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_every_protocol_s_analyses_run_on_synthetic_data(path):
    protocol = load_protocol(path)
    rows = synthetic_rows(protocol, 80, np.random.default_rng(5))
    outcomes = _outcomes(run_all(protocol, derive(protocol, rows)))
    assert outcomes and all(o["result"] is not None for o in outcomes.values()), {
        k: o["notes"] for k, o in outcomes.items() if o["result"] is None}


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_every_protocol_s_analyses_run_their_declared_method_and_pooled_name_no_arm(path):
    protocol = load_protocol(path)
    by_arm = _outcomes(run_all(protocol, derive(protocol, synthetic_rows(
        protocol, 60, np.random.default_rng(8)))))
    assert all(o["ran"] == o["method"] and tables_of(o) for o in by_arm.values()), {
        k: o["notes"] for k, o in by_arm.items() if o["ran"] != o["method"]}
    pooled = run_all(protocol, derive(protocol, synthetic_rows(
        protocol, 60, np.random.default_rng(8), unblinded=False)))
    assert all(tables_of(o) for o in _outcomes(pooled).values())
    text = json.dumps(pooled)
    for arm in protocol.design.arms:
        assert arm.label not in text, arm.label
