"""Synthetic candidates are screened by the real eligibility engine, and selection on recent
activity picks the more active (frailer) patients."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.core.simulation.conftest import START, reference_raw
from trialkit.core.eligibility.compile import compile_criteria, screen
from trialkit.core.simulation.candidate_records import records
from trialkit.core.simulation.candidates import build_pool, cohort_spec, referred
from trialkit.core.simulation.cohort import generate
from trialkit.core.simulation.scenario import validate


def test_the_pool_s_verdicts_are_the_engine_s_verdicts_on_the_same_records(protocol):
    file = validate(reference_raw())
    compiled = compile_criteria(protocol)
    rng = np.random.default_rng(5)
    frailty = rng.gamma(1.0, 1.0, 60)
    cohort = generate(rng, first_person_id=1, n=60, reference_day=(START - START.replace(
        year=1970, month=1, day=1)).days, spec=cohort_spec(protocol, file, compiled, frailty))
    built = records(protocol, file, cohort, np.arange(60))
    verdicts = [screen(compiled, record).verdict for record in built]
    assert set(verdicts) <= {"eligible", "ineligible", "incomplete"}
    assert "ineligible" in verdicts  # the rules do select
    # Every table the model feeds reaches the record the rules read.
    assert all(record.rows("edss") for record in built)
    assert any(record.rows("relapses") for record in built)
    assert any(row["gd_enhancing_lesions"] is not None for record in built
               for row in record.rows("mri_scans"))


def test_referral_on_recent_activity_selects_frailer_patients(protocol):
    file = validate(reference_raw())
    rng = np.random.default_rng(9)
    frailty = rng.gamma(1.0, 1.0, 2000)
    cohort = generate(rng, first_person_id=1, n=2000, reference_day=19600,
                      spec=cohort_spec(protocol, file, compile_criteria(protocol), frailty))
    chosen = referred(cohort, file, rng)
    assert 0 < chosen.mean() < 1
    assert frailty[chosen].mean() > 1.2 > frailty[~chosen].mean()


def test_the_eligible_are_frailer_than_the_population_and_the_pool_is_a_function_of_the_seed(
        protocol, reference_pool):
    pool = reference_pool
    assert 0.1 < pool.eligible_rate < 0.5
    assert pool.frailty[pool.eligible].mean() > 1.0  # the population's mean frailty is 1
    assert set(pool.ruled_out_by) <= {c.id for c in protocol.eligibility.criteria}
    first, again = (build_pool(protocol, validate(reference_raw()), np.random.default_rng(8),
                               40, START) for _ in range(2))
    assert np.array_equal(again.eligible, first.eligible)
    assert np.array_equal(again.frailty, first.frailty)


def test_an_eligible_candidate_has_a_stratum_from_their_record(protocol, reference_pool):
    levels = {pool_stratum for pool_stratum, ok in zip(reference_pool.strata,
                                                       reference_pool.eligible, strict=True)
              if ok}
    assert levels <= {(("ms_course", "RRMS"),), (("ms_course", "SPMS"),)}
    assert (("ms_course", "RRMS"),) in levels


def test_a_population_nobody_would_refer_is_an_error(protocol):
    raw = reference_raw()
    raw["population"]["referral_activity_months"]["value"] = 0
    with pytest.raises(ValueError, match="referred"):
        build_pool(protocol, validate(raw), np.random.default_rng(1), 20, START)
