"""MMRM behaviour beyond the SAS oracle: input checks, visits, the fallback optimiser."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.analysis import AnalysisInputError, Table, mmrm
from trialkit.core.analysis.mmrm import fit as fitting


def small(duplicate: bool = False) -> Table:
    rows = [("P1", "V1", "A", 1.0), ("P1", "V2", "A", 2.0), ("P2", "V1", "B", 1.5),
            ("P2", "V2", "B", 2.5), ("P3", "V1", "A", 0.5), ("P3", "V2", "A", 1.0),
            ("P4", "V1", "B", 2.0), ("P4", "V2", "B", 3.5), ("P5", "V1", "A", 1.2),
            ("P6", "V2", "B", 2.9)]
    if duplicate:
        rows.append(("P1", "V2", "A", 2.2))
    ids, visits, arms, y = zip(*rows, strict=True)
    return Table({"ID": ids, "VISIT": visits, "ARM": arms, "Y": np.array(y)})


def test_two_observations_of_one_participant_at_one_visit_are_refused():
    with pytest.raises(AnalysisInputError, match="'P1' has more than one observation"):
        mmrm(small(duplicate=True), response="Y", subject="ID", visit="VISIT",
             treatment="ARM", reference="A")


def test_a_planned_visit_without_observations_is_dropped_with_a_note():
    result = mmrm(small(), response="Y", subject="ID", visit="VISIT", treatment="ARM",
                  reference="A", visit_order=["V1", "V2", "V3"])
    assert result.visits == ("V1", "V2")
    assert "visit(s) V3 have no observations and were left out" in result.notes


def test_no_observation_at_any_visit_is_refused_as_not_estimable():
    """A trial's first weeks: the runner reports an AnalysisInputError as not estimable."""
    nothing = small().where(np.zeros(10, dtype=bool))
    with pytest.raises(AnalysisInputError, match="no observation of 'Y' at any visit"):
        mmrm(nothing, response="Y", subject="ID", visit="VISIT", treatment="ARM",
             reference="A", visit_order=["V1", "V2"])


def test_a_visit_outside_the_declared_order_is_refused():
    with pytest.raises(AnalysisInputError, match="V2 not in the visit order"):
        mmrm(small(), response="Y", subject="ID", visit="VISIT", treatment="ARM",
             reference="A", visit_order=["V1"])


def test_ls_mean_differences_by_visit_add_the_interaction_to_the_arm_effect(fev):
    result = mmrm(fev, response="FEV1", subject="USUBJID", visit="AVISIT",
                  treatment="ARMCD", reference="PBO", factors={"RACE": "Asian", "SEX": "Male"})
    coefficients = {c.label: c.estimate for c in result.coefficients}
    at_vis4 = next(d for d in result.differences if d.label == "TRT - PBO @ VIS4")
    assert at_vis4.estimate == pytest.approx(
        coefficients["ARMCD=TRT"] + coefficients["ARMCD=TRT:AVISIT=VIS4"], abs=1e-10)
    assert 100 < at_vis4.df < 200
    assert [m.label for m in result.lsmeans[:2]] == ["PBO @ VIS1", "TRT @ VIS1"]


def test_a_baseline_by_visit_interaction_gets_one_slope_per_visit(fev):
    result = mmrm(fev, response="FEV1", subject="USUBJID", visit="AVISIT",
                  treatment="ARMCD", reference="PBO", covariates=["FEV1_BL"],
                  covariates_by_visit=["FEV1_BL"])
    labels = [c.label for c in result.coefficients]
    assert labels[-3:] == ["FEV1_BL:AVISIT=VIS2", "FEV1_BL:AVISIT=VIS3",
                           "FEV1_BL:AVISIT=VIS4"]
    assert result.converged


def test_when_the_newton_path_fails_the_quasi_newton_fallback_finds_the_same_optimum(
        fev, monkeypatch):
    arguments = {"response": "FEV1", "subject": "USUBJID", "visit": "AVISIT", "treatment": "ARMCD",
                     "reference": "PBO", "factors": {"SEX": "Male"}, "visit_effect": False}
    newton = mmrm(fev, **arguments)

    def no_start(*_):
        raise np.linalg.LinAlgError("MIVQUE0 not positive definite")

    monkeypatch.setattr(fitting, "mivque0", no_start)
    fallback = mmrm(fev, **arguments)
    sas = mmrm(fev, stop="sas", **arguments)
    assert fallback.optimizer == "BFGS"
    assert fallback.minus_two_reml_log_likelihood == pytest.approx(
        newton.minus_two_reml_log_likelihood, abs=1e-7)
    for ours, theirs in zip(fallback.coefficients, newton.coefficients, strict=True):
        assert ours.estimate == pytest.approx(theirs.estimate, abs=1e-5)
        assert ours.df == pytest.approx(theirs.df, abs=1e-2)
    assert sas.notes[-1] == ("SAS's Newton-Raphson path from MIVQUE0 failed; the exact "
                             "optimum is reported instead")
