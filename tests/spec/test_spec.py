"""Every spec case (tests/spec/cases/*.yaml, rendered into docs/criteria-language.md) on every
engine: each patient gets the status, and the verdict, that the case states."""

from __future__ import annotations

import pytest

from tests.spec.support import Case, Engine, Spec, all_specs, expected, got

CASES = [pytest.param(spec, case, id=f"{spec.path.stem}: {case.name}")
         for spec in all_specs() for case in spec.cases]


@pytest.mark.parametrize(("spec", "case"), CASES)
def test_each_patient_gets_the_status_the_case_states(engine: Engine, spec: Spec,
                                                       case: Case) -> None:
    assert got(engine, spec, case) == expected(case)


def test_every_case_states_at_least_one_patient_of_each_status_it_needs() -> None:
    """A case with one patient could pass by luck; the suite as a whole shows all three."""
    seen = {status for spec in all_specs() for case in spec.cases for p in case.patients
            for status in p.expect.values()}
    assert seen == {"met", "not_met", "unknown"}
    assert all(case.patients for spec in all_specs() for case in spec.cases)
