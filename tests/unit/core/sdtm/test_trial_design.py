"""TA, TE, TV, TI and TS from each protocol."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT
from tests.unit.core.sdtm.subject_rows import context, treated
from trialkit.core.sdtm.common import Domain
from trialkit.core.sdtm.epochs import FOLLOW_UP, SCREENING, TREATMENT, WASHOUT, period_epoch
from trialkit.core.sdtm.trial_design import (
    build_ta,
    build_te,
    build_ti,
    build_tv,
    ietest,
    sdtm_code,
)
from trialkit.core.sdtm.trial_summary import CT_VERSION, build_ts, country_code

pytestmark = pytest.mark.protocols()
# FDA Study Data Technical Conformance Guide: TS parameters a submission is expected to carry.
FDA_EXPECTED = {"ADDON", "AGEMAX", "AGEMIN", "LENGTH", "PLANSUB", "RANDOM", "SEXPOP",
                "STOPRULE", "TBLIND", "TCNTRL", "TDIGRP", "INDIC", "TINDTP", "TITLE", "TPHASE",
                "TTYPE", "SPONSOR", "INTMODEL", "NARMS", "STYPE", "INTTYPE", "SSTDTC", "SENDTC",
                "ACTSUB", "HLTSUBJI", "REGID", "OUTMSPRI", "PCLAS", "FCNTRY", "ADAPT",
                "DCUTDTC", "DCUTDESC", "SDTIGVER", "SDTMVER", "TRT"}
ISO_DURATION = re.compile(r"^P\d+[YMD]$")


def _one(domains) -> Domain:
    (domain,) = domains
    return domain


def _design(trial, build) -> Domain:
    return _one(build(context(trial.protocol, [treated(trial.protocol, 1)])))


def _keys_unique(domain: Domain) -> None:
    keys = [tuple(row.get(k) for k in domain.keys) for row in domain.rows]
    assert len(keys) == len(set(keys)), f"{domain.name} repeats a key"


def test_every_trial_design_domain_has_unique_keys(trial) -> None:
    for build in (build_ta, build_te, build_tv, build_ti, build_ts):
        _keys_unique(_design(trial, build))


def test_each_arm_of_ta_is_a_path_of_elements_te_defines(trial) -> None:
    ta, te = _design(trial, build_ta), _design(trial, build_te)
    defined = {row["ETCD"]: row["ELEMENT"] for row in te.rows}
    for row in ta.rows:
        assert defined[row["ETCD"]] == row["ELEMENT"]
        assert len(row["ETCD"]) <= 8 and len(row["ARMCD"]) <= 20
    for armcd in {row["ARMCD"] for row in ta.rows}:
        orders = [row["TAETORD"] for row in ta.rows if row["ARMCD"] == armcd]
        assert orders == list(range(1, len(orders) + 1))
        first = next(row for row in ta.rows if row["ARMCD"] == armcd and row["TAETORD"] == 1)
        assert first["EPOCH"] == SCREENING and first["TABRANCH"]


@pytest.mark.protocols("parallel_part")
def test_a_parallel_arm_goes_from_screening_through_treatment_to_follow_up(trial) -> None:
    parallel = {a for p in trial.protocol.design.parts if not p.is_crossover for a in p.arms}
    ta = _design(trial, build_ta)
    labels = {trial.protocol.arm(a).label for a in parallel}
    arms = {row["ARMCD"] for row in ta.rows if row["ARM"] in labels}
    assert len(arms) == len(labels)
    for armcd in arms:
        epochs = [row["EPOCH"] for row in ta.rows if row["ARMCD"] == armcd]
        assert epochs == [SCREENING, TREATMENT, FOLLOW_UP]


@pytest.mark.protocols("crossover")
def test_a_crossover_ta_has_one_row_per_sequence_and_element(trial) -> None:
    part = next(p for p in trial.protocol.design.parts if p.is_crossover)
    ta = _design(trial, build_ta)
    codes = {row["ETCD"]: row["ELEMENT"] for row in ta.rows}
    for sequence in part.sequences:
        rows = [row for row in ta.rows if row["ARM"] == sequence.label]
        washouts = (len(part.periods) - 1) if part.washout_days else 0
        assert len(rows) == 1 + len(part.periods) + washouts
        treatments = [row for row in rows if row["EPOCH"] not in (SCREENING, WASHOUT)]
        assert [row["EPOCH"] for row in treatments] == [
            period_epoch(n) for n in range(1, len(part.periods) + 1)]
        assert [codes[row["ETCD"]] for row in treatments] == [
            trial.protocol.arm(a).label for a in sequence.arms]


def test_tv_lists_the_scheduled_visits_with_no_study_day_zero(trial) -> None:
    tv = _design(trial, build_tv)
    scheduled = [v for v in trial.protocol.schedule.visits if not v.unscheduled]
    assert len(tv.rows) == len(scheduled)
    assert all(row["VISITDY"] != 0 for row in tv.rows)
    assert [row["VISITDY"] > 0 for row in tv.rows] == [v.day >= 0 for v in scheduled]
    assert all(row["TVSTRL"] for row in tv.rows)


def test_ti_has_every_criterion_with_its_category_and_at_most_200_characters(trial) -> None:
    ti = _design(trial, build_ti)
    criteria = trial.protocol.eligibility.criteria
    assert [row["IETESTCD"] for row in ti.rows] == [c.id for c in criteria]
    assert [row["IECAT"] for row in ti.rows] == [
        "INCLUSION" if c.kind == "inclusion" else "EXCLUSION" for c in criteria]
    assert all(0 < len(row["IETEST"]) <= 200 for row in ti.rows)


def test_a_long_criterion_is_cut_at_a_word_and_marked() -> None:
    text = "word " * 100
    cut = ietest(text)
    assert len(cut) <= 200 and cut.endswith("word...")
    assert ietest("  short\n text ") == "short text"


def test_ts_carries_every_parameter_the_fda_guide_expects(trial) -> None:
    ts = _design(trial, build_ts)
    present = {row["TSPARMCD"] for row in ts.rows}
    assert present >= FDA_EXPECTED
    for row in ts.rows:
        assert bool(row["TSVAL"]) != bool(row["TSVALNF"]), row["TSPARMCD"]
        assert len(row["TSVAL"]) <= 200
        if row["TSVCDREF"] == "CDISC":
            assert re.fullmatch(r"C\d+", row["TSVALCD"]), row


def test_ts_reads_the_design_from_the_protocol(trial) -> None:
    protocol = trial.protocol
    ts = _design(trial, build_ts)
    values = {}
    for row in ts.rows:
        values.setdefault(row["TSPARMCD"], []).append(row["TSVAL"] or row["TSVALNF"])
    assert values["RANDOM"] == ["Y" if protocol.design.allocation == "RANDOMIZED" else "N"]
    assert values["PLANSUB"] == [str(protocol.design.enrolment.count)]
    assert values["REGID"] == [r.id for r in protocol.identity.registry_ids]
    assert values["SSTDTC"] == [protocol.status.start.date.isoformat()]
    assert values["INDIC"] == list(protocol.identity.conditions)
    assert values["TBLIND"] == (["OPEN LABEL"] if protocol.design.masking.level == "NONE"
                                else ["DOUBLE BLIND"])
    assert values["INTMODEL"] == [protocol.design.intervention_model.replace("_", " ")]
    assert values["NARMS"] == [str(len({r["ARMCD"] for r in _design(trial, build_ta).rows}))]
    for code in ("AGEMIN", "AGEMAX", "LENGTH"):
        assert all(ISO_DURATION.match(v) or v in ("NI", "PINF") for v in values[code])
    assert values["FCNTRY"] and all(re.fullmatch(r"[A-Z]{3}", v) for v in values["FCNTRY"])


def test_coded_values_name_the_ct_package_the_vendored_codelists_come_from(trial) -> None:
    vendored = json.loads((ROOT / "src" / "trialkit" / "interop" / "sdtm" / "ct" /
                           "sdtm-ct.json").read_text("utf-8"))["version"]
    coded = [row for row in _design(trial, build_ts).rows if row["TSVCDREF"] == "CDISC"]
    assert coded and {row["TSVCDVER"] for row in coded} == {CT_VERSION} == {vendored}


def test_a_title_longer_than_200_characters_goes_on_in_tsval1(trial) -> None:
    identity = trial.protocol.identity.model_copy(update={"official_title": "T" * 450})
    protocol = trial.protocol.model_copy(update={"identity": identity})
    ts = _one(build_ts(context(protocol, [])))
    title = next(row for row in ts.rows if row["TSPARMCD"] == "TITLE")
    assert (title["TSVAL"], title["TSVAL1"], title["TSVAL2"]) == ("T" * 200, "T" * 200, "T" * 50)
    assert {"TSVAL1", "TSVAL2"} <= {v.name for v in ts.variables}


def test_countries_are_given_as_iso_3166_alpha_3() -> None:
    assert country_code("Italy") == "ITA"
    assert country_code("Korea, Republic of") == "KOR"
    assert country_code("taiwan") == "TWN"
    assert country_code("US") == "USA"
    assert country_code("Atlantis") == ""


def test_sdtm_codes_are_short_upper_case_and_unique() -> None:
    assert sdtm_code("standard-care", 8) == "STANDARD"
    assert sdtm_code("standard-care", 8, {"STANDARD"}) == "STANDAR2"
    assert sdtm_code("a b", 20) == "A_B"
