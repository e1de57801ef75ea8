"""Laboratory and vital-sign BDS datasets from the forms' CDISC annotations: a parameter per
LB/VS test code, the reference range from the --ORNRHI item after each result, ANRIND per
record and BNRIND from the baseline; forms without ranges get no range variables. And a
crossover's assessment on the day a period starts closes the period before."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.conftest import ROOT
from trialkit.core.adam import (
    AdministrationRow,
    Allocation,
    FormRow,
    ParticipantRow,
    TrialRows,
    derive,
)
from trialkit.core.adam.synthetic import synthetic_rows
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.analysis_datasets import dataset_specs

D0 = dt.date(2026, 1, 10)


def lab(n: int, visit: str, alt: float, alt_uln: float | None) -> FormRow:
    data = {"sample_date": (D0 + dt.timedelta(days=n)).isoformat(), "alt": alt, "ast": 20.0}
    if alt_uln is not None:
        data["alt_uln"] = alt_uln
    return FormRow(1, "LAB", visit, 1, data)


@pytest.fixture(scope="module")
def reference():
    return load_protocol(ROOT / "protocols" / "nct05532943.yaml")


def test_lab_and_vital_forms_give_bds_datasets_named_by_their_test_codes(reference):
    specs = dataset_specs(reference)
    assert {"ALT", "AST", "PT", "APTT", "EGFR", "GLUC"} <= {p.code for p in
                                                            specs["ADLAB"].parameters}
    assert {p.code for p in specs["ADVS"].parameters} == {"SYSBP", "DIABP", "HR", "TEMP"}
    alt = specs["ADLAB"].parameter("ALT")
    assert alt is not None and (alt.low_item, alt.high_item) == ("", "alt_uln")
    assert {"ANRIND", "BNRIND", "ANRHI"} <= set(specs["ADLAB"].names)
    assert "ANRIND" not in specs["ADVS"].names  # no range recorded on the form
    stroke = dataset_specs(load_protocol(ROOT / "protocols" / "nct01716481.yaml"))
    assert "ANRIND" not in stroke["ADLAB"].names and "ADVITALS" in stroke


def test_the_range_indicator_follows_the_uln_and_the_baseline_carries_its_own(reference):
    people = (ParticipantRow(1, "P-001", "CMUH", "enrolled", "phase2a", D0, D0),)
    rows = TrialRows("NCT05532943", D0 + dt.timedelta(days=100), people,
                     (AdministrationRow(1, "iv", D0),),
                     (lab(-5, "SCR", 50.0, 40.0), lab(0, "D0", 30.0, 40.0),
                      lab(28, "D28", 41.0, 40.0), lab(56, "M3", 35.0, None)),
                     {}, {1: Allocation("umsc01")})
    adlab = derive(reference, rows).tables["ADLAB"]
    alt = adlab.where(adlab.text("PARAMCD") == "ALT")
    assert list(alt.text("AVISIT")) == ["SCR", "D0", "D28", "M3"]
    assert list(alt.text("ANRIND")) == ["HIGH", "NORMAL", "HIGH", ""]
    assert list(alt.text("BNRIND")) == ["NORMAL"] * 4
    np.testing.assert_array_equal(alt.numeric("ANRHI"), [40.0, 40.0, 40.0, np.nan])
    assert list(alt.text("ABLFL")) == ["", "Y", "", ""]


def test_a_crossover_assessment_on_the_day_of_the_second_period_closes_the_first():
    protocol = load_protocol(ROOT / "protocols" / "nct01854957.yaml")
    found = derive(protocol, synthetic_rows(protocol, 12, np.random.default_rng(4)))
    adnv = found.tables["ADNV01"]
    adsl = found.tables["ADSL"]
    starts = dict(zip(adsl.text("USUBJID"), adsl["AP02SDT"], strict=True))
    on_start = np.array([starts[s] == d for s, d in zip(adnv.text("USUBJID"), adnv["ADT"],
                                                        strict=True)])
    assert on_start.any()  # the week-24 scan, taken on the day of the second infusion
    assert set(adnv.text("APERIOD")[on_start]) == {"P1"}
    assert set(adnv.text("AVISIT")[adnv.text("APERIOD") == "P2"]) <= {"W28", "W36", "W48"}


def test_a_limit_belongs_to_the_result_of_its_record_row_wherever_it_stands(reference):
    from trialkit.core.protocol.analysis_datasets import range_limits

    form = next(f for f in reference.forms if f.id == "LAB")
    moved = form.model_copy(update={"items": (*form.items[2:], *form.items[:2])})
    # the sample date and the PT result moved to the end: the PT limit now comes first,
    # before any result, but its record row still names PT
    limits = range_limits(moved, reference)
    assert limits["pt"] == ("", "pt_uln") and limits["alt"] == ("", "alt_uln")
