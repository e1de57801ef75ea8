"""ADaM datasets from hand-made rows of the reference protocol: flags, treatments (pooled when
the rows carry no allocation), baseline and change, treatment emergence, relations from the AE
annotations, confirmed worsening with its relapse window, counts with exposure, NEDA."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.conftest import ROOT
from trialkit.core.adam import (
    POOLED,
    AdministrationRow,
    Allocation,
    FormRow,
    ParticipantRow,
    TrialRows,
    derive,
)
from trialkit.core.adam.synthetic import synthetic_rows
from trialkit.core.protocol import load_protocol

D0 = dt.date(2026, 1, 10)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def edss(n: int, score: float, visit: str) -> dict:
    return {"visit": visit, "data": {"assessment_date": day(n).isoformat(), "edss": score}}


@pytest.fixture(scope="module")
def protocol():
    return load_protocol(ROOT / "protocols" / "nct05532943.yaml")


def rows(allocations=True, extra_forms=()) -> TrialRows:
    people = (
        ParticipantRow(1, "P-001", "CMUH", "enrolled", "phase2a", day(-14), day(-7)),
        ParticipantRow(2, "P-002", "CMUH", "enrolled", "phase2a", day(-14), day(-7)),
        ParticipantRow(3, "P-003", "CMUH", "screen_failed", consent_date=day(-20)),
        ParticipantRow(4, "P-004", "CMUH", "enrolled", "phase1", day(-60), day(-50)))
    doses = (AdministrationRow(1, "iv", day(0)), AdministrationRow(1, "it", day(28)),
             AdministrationRow(2, "iv", day(0)), AdministrationRow(4, "iv", day(-40)))
    series = [edss(-7, 3.0, "SCR"), edss(0, 3.5, "D0"), edss(119, 4.5, "M3"),
              edss(150, 4.5, "UNS"), edss(210, 4.5, "M6")]
    forms = [FormRow(1, "EDSS", s["visit"], 1, s["data"]) for s in series]
    forms += [FormRow(2, "EDSS", "D0", 1, edss(0, 6.0, "D0")["data"]),
              FormRow(2, "EDSS", "M3", 1, edss(119, 6.5, "M3")["data"]),
              FormRow(2, "EDSS", "M6", 1, edss(210, 6.5, "M6")["data"]),
              FormRow(1, "MSHIST", "SCR", 1, {"ms_course": "RRMS"}),
              FormRow(2, "MSHIST", "SCR", 1, {"ms_course": "SPMS"}),
              FormRow(1, "DM", "SCR", 1, {"birth_date": "1980-06-01", "sex": "female"}),
              FormRow(1, "AE", "", 1, {
                  "term": "Headache", "onset_date": day(29).isoformat(), "ctcae_grade": 2,
                  "serious": False, "relation_iv": "not_related", "relation_it": "possible",
                  "relation_procedure": "probable", "relation_study": "possible"}),
              FormRow(1, "AE", "", 2, {"term": "Cold", "onset_date": day(-3).isoformat(),
                                       "serious": False}),
              FormRow(2, "RELAPSE", "UNS", 1, {"onset_date": day(100).isoformat()}),
              FormRow(2, "RELAPSE", "SCR", 2, {"onset_date": day(-100).isoformat()}),
              FormRow(1, "MRI", "M6", 1, {"scan_date": day(210).isoformat(),
                                          "gd_enhancing_lesions": 2, "new_t2_lesions": 0}),
              *extra_forms]
    arms = {1: Allocation("umsc01"), 2: Allocation("placebo"), 4: Allocation("umsc01")}
    return TrialRows("NCT05532943", day(250), people, doses, tuple(forms), {},
                     arms if allocations else None)


def column(table, name, subject):
    return table[name][table.text("USUBJID") == f"NCT05532943-{subject}"]


def test_adsl_sets_the_flags_the_protocol_defines_and_the_treatment_by_arm(protocol):
    adsl = derive(protocol, rows()).tables["ADSL"]
    assert list(adsl.text("USUBJID")) == [f"NCT05532943-P-00{i}" for i in (1, 2, 3, 4)]
    assert list(adsl.text("SAFFL")) == ["Y", "Y", "N", "Y"]
    assert list(adsl.text("FASFL")) == ["Y", "Y", "N", "N"]  # phase 1 is not randomized
    assert list(adsl.text("TRT01P")) == ["UMSC01", "Placebo", "", "UMSC01"]
    assert list(adsl.text("STRAT1R")) == ["RRMS", "SPMS", "", ""]
    assert column(adsl, "AGE", "P-001")[0] == 45 and column(adsl, "SEX", "P-001")[0] == "F"
    assert column(adsl, "DCSREAS", "P-003")[0] == "SCREEN FAILURE"
    assert column(adsl, "TRTSDT", "P-001")[0] == np.datetime64(day(0))


def test_without_allocation_every_treatment_variable_is_pooled(protocol):
    found = derive(protocol, rows(allocations=False))
    assert found.blinded
    for name, table in found.tables.items():
        for variable in ("TRT01P", "TRT01A", "TRTA"):
            if variable in table:
                assert set(table.text(variable)) <= {POOLED, ""}, (name, variable)
    assert found.digest != derive(protocol, rows()).digest


def test_bds_baseline_is_the_last_value_by_the_first_dose_and_change_follows(protocol):
    adedss = derive(protocol, rows()).tables["ADEDSS"]
    mine = adedss.where((adedss.text("USUBJID") == "NCT05532943-P-001")
                        & (adedss.text("PARAMCD") == "EDSS0101"))
    assert list(mine.text("AVISIT")) == ["SCR", "D0", "M3", "UNS", "M6"]
    assert list(mine.text("ABLFL")) == ["", "Y", "", "", ""]
    assert list(mine.numeric("BASE")) == [3.5] * 5
    np.testing.assert_array_equal(mine.numeric("CHG"), [np.nan, np.nan, 1.0, 1.0, 1.0])
    assert list(mine.text("ANL01FL")) == ["", "Y", "Y", "", "Y"]  # unscheduled not analysed


def test_adae_reads_relations_under_their_annotations_and_flags_emergence(protocol):
    adae = derive(protocol, rows()).tables["ADAE"]
    assert list(adae.text("AETERM")) == ["Cold", "Headache"]
    assert list(adae.text("TRTEMFL")) == ["N", "Y"]
    assert list(adae.text("AERELIT"))[1] == "Possibly related"
    assert list(adae.text("AERELPR"))[1] == "Probably related"
    assert list(adae.text("ATOXGR"))[1] == "2" and list(adae.text("AESER")) == ["N", "N"]
    assert list(adae.numeric("ASTDY")) == [-3.0, 30.0]
    assert list(adae.text("TRTA")) == ["UMSC01", "UMSC01"]


def test_confirmed_worsening_needs_confirmation_outside_a_relapse_window(protocol):
    adtte = derive(protocol, rows()).tables["ADTTE"]
    cdw = adtte.where(adtte.text("PARAMCD") == "CDW")
    # P-001: +1.0 from 3.5 at day 119, confirmed at day 210 (>= 91 days later): an event.
    assert list(cdw.numeric("CNSR")) == [0.0, 1.0]
    assert cdw.numeric("AVAL")[0] == 119
    # P-002: +0.5 from 6.0 at day 119 is 19 days after a relapse: not used; day 210 has no
    # later confirmation, so censored at day 210.
    assert list(cdw.numeric("AVAL"))[1] == 210


def test_counts_carry_their_exposure_and_neda_combines_them(protocol):
    found = derive(protocol, rows())
    adcnt = found.tables["ADCNT"]
    relapses = adcnt.where(adcnt.text("PARAMCD") == "RELAPSES")
    assert list(relapses.numeric("AVAL")) == [0.0, 1.0, 0.0]  # the screening one is before
    assert list(relapses.numeric("BASE")) == [0.0, 1.0, 0.0]
    assert relapses.numeric("EXPOS")[0] == pytest.approx(251 / 365.25)
    gd = adcnt.where(adcnt.text("PARAMCD") == "GDLES")
    assert list(gd.numeric("AVAL"))[:2] == [2.0, 0.0] and list(gd.numeric("EXPOS"))[:2] == [
        1.0, 0.0]
    adrsp = found.tables["ADRSP"]
    # P-001 worsened, P-002 relapsed; P-004 has neither EDSS nor scans: unknown, not a responder
    assert list(adrsp.text("AVALC")) == ["N", "N", ""]


def test_crossover_records_take_the_period_and_treatment_of_their_date():
    protocol = load_protocol(ROOT / "protocols" / "nct01854957.yaml")
    made = synthetic_rows(protocol, 12, np.random.default_rng(7))
    found = derive(protocol, made)
    adsl, adex = found.tables["ADSL"], found.tables["ADEX"]
    assert set(adsl.text("TRTSEQP")) <= {s.label for s in protocol.design.parts[0].sequences}
    for subject, period, treatment in zip(adex.text("USUBJID"), adex.text("APERIOD"),
                                          adex.text("TRTA"), strict=True):
        index = 1 if period == "P1" else 2
        mine = adsl.text("USUBJID") == subject
        assert treatment == adsl.text(f"TRT{index:02d}A")[mine][0] != ""


@pytest.mark.parametrize("stem", ["nct05532943", "nct01716481", "nct01854957"])
def test_every_protocol_s_datasets_hold_the_variables_its_specs_name(stem):
    protocol = load_protocol(ROOT / "protocols" / f"{stem}.yaml")
    found = derive(protocol, synthetic_rows(protocol, 30, np.random.default_rng(1)))
    for name, spec in found.specs.items():
        assert spec.names == found.tables[name].names[:len(spec.names)], name
    assert found.tables["ADSL"].n_rows == 30


def test_a_change_from_baseline_carries_no_float_noise(protocol):
    """1.2 − 2.1 is −0.9000000000000001 in binary floating point; a dataset shows −0.9, so
    equal changes read the same whatever values they come from."""
    base = rows()
    people = base.participants[:1]
    forms = (FormRow(1, "EDSS", "D0", 1, edss(0, 2.1, "D0")["data"]),
             FormRow(1, "EDSS", "M3", 1, edss(119, 1.2, "M3")["data"]))
    trial_rows = TrialRows(base.study_id, base.as_of, people, base.administrations[:2],
                           forms, {}, None)
    adedss = derive(protocol, trial_rows).tables["ADEDSS"]
    changes = adedss.numeric("CHG")[adedss.text("AVISIT") == "M3"]
    assert list(changes) and all(change == -0.9 for change in changes)
