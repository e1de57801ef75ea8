"""DM (+ SUPPDM), SE and SV from rows written by hand, on every protocol."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.unit.core.sdtm.subject_rows import (
    Extra,
    Person,
    allocation,
    context,
    course,
    dose_day,
    on,
    randomized_part,
    treated,
)
from trialkit.core.adam.rows import FormRow
from trialkit.core.adam.subjects import adsl_records
from trialkit.core.exchange import VersionRow, VisitRow
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Cdisc, Item
from trialkit.core.sdtm.common import Domain
from trialkit.core.sdtm.epochs import FOLLOW_UP, SCREENING
from trialkit.core.sdtm.special_purpose import build_dm
from trialkit.core.sdtm.subject_elements import build_se
from trialkit.core.sdtm.subject_visits import build_sv
from trialkit.core.sdtm.trial_design import build_ta, build_tv, element_codes
from trialkit.core.sdtm.trial_summary import country_code

pytestmark = pytest.mark.protocols()
ARM_VARIABLES = ("ARMCD", "ARM", "ACTARMCD", "ACTARM")


def _one(domains) -> Domain:
    (domain,) = domains
    return domain


def _demographics(protocol: Protocol, key: int, born: str, sex: str) -> list[FormRow]:
    """The participant's record of every form with an item annotated DM BRTHDTC or SEX."""
    rows = []
    for form in protocol.forms:
        birth, gender = form.item_with("DM", "BRTHDTC"), form.item_with("DM", "SEX")
        data = {**({birth.id: born} if birth else {}), **({gender.id: sex} if gender else {})}
        if data:
            rows.append(FormRow(key, form.id, protocol.schedule.visits[0].id, 0, data))
    return rows


def _female_code(protocol: Protocol) -> str:
    form = next(f for f in protocol.forms if f.item_with("DM", "SEX") is not None)
    item = form.item_with("DM", "SEX")
    assert item is not None and item.codelist is not None
    return next(c.code for c in protocol.codelist(item.codelist).items
                if c.submission_value == "F")


def test_dm_has_one_row_per_participant_with_a_unique_usubjid(trial) -> None:
    protocol = trial.protocol
    people = [treated(protocol, 1), treated(protocol, 2),
              Person(3, status="screening", consent=None)]
    dm = _one(build_dm(context(protocol, people)))
    assert [row["SUBJID"] for row in dm.rows] == ["S001", "S002", "S003"]
    assert len({row["USUBJID"] for row in dm.rows}) == 3
    assert (dm.rows[2]["RFICDTC"], dm.rows[2]["ARMNRS"]) == ("", "NOT ASSIGNED")


def test_a_subject_has_the_same_usubjid_in_sdtm_and_in_adam(trial) -> None:
    protocol = trial.protocol
    people = [treated(protocol, 1), Person(2, status="screening", consent=None)]
    made = context(protocol, people)
    dm = _one(build_dm(made))
    adsl = adsl_records(protocol, made.rows.trial)
    assert sorted(row["USUBJID"] for row in dm.rows) == sorted(r["USUBJID"] for r in adsl)


def test_dm_reference_dates_are_the_first_and_last_dose_and_consent(trial) -> None:
    protocol = trial.protocol
    part = randomized_part(protocol)
    exposed = next(i for i, arm in enumerate(part.arms) if all(
        a.by_arm[arm].procedure != "none" for a in protocol.design.administrations
        if arm in a.by_arm))  # an arm that receives something at every administration
    person = treated(protocol, 1, ended_on=on(500), status="completed",
                     allocation=allocation(part, exposed))
    (row,) = _one(build_dm(context(protocol, [person]))).rows
    days = sorted(dose_day(protocol, a) for a in person.given)
    assert row["RFSTDTC"] == days[0].isoformat()
    assert row["RFXSTDTC"] == f"{days[0].isoformat()}T09:30"
    assert row["RFXENDTC"] == f"{days[-1].isoformat()}T09:30"
    assert row["RFICDTC"] == on(-40).isoformat()
    assert row["RFENDTC"] == row["RFPENDTC"] == on(500).isoformat()


def test_dm_takes_birth_date_and_sex_from_the_annotated_items_and_age_at_consent(trial) -> None:
    protocol = trial.protocol
    consent = on(-40)
    born = consent.replace(year=consent.year - 30) + dt.timedelta(days=1)  # birthday tomorrow
    extra = Extra(forms=_demographics(protocol, 1, born.isoformat(), _female_code(protocol)))
    (row,) = _one(build_dm(context(protocol, [treated(protocol, 1)], extra=extra))).rows
    assert (row["BRTHDTC"], row["AGE"], row["AGEU"], row["SEX"]) == (
        born.isoformat(), 29, "YEARS", "F")
    assert row["COUNTRY"] == country_code(protocol.identity.sites[0].country) != ""


def test_dm_without_collected_sex_says_unknown(trial) -> None:
    (row,) = _one(build_dm(context(trial.protocol, [treated(trial.protocol, 1)]))).rows
    assert row["SEX"] == "U" and row["AGE"] is None


def test_unblinded_dm_gives_the_planned_arm_of_ta(trial) -> None:
    protocol = trial.protocol
    part = randomized_part(protocol)
    people = [treated(protocol, 1, allocation=allocation(part, 0)),
              treated(protocol, 2, allocation=allocation(part, -1))]
    dm = _one(build_dm(context(protocol, people)))
    ta = _one(build_ta(context(protocol, people)))
    arms = {row["ARMCD"]: row["ARM"] for row in ta.rows}
    assert [arms[row["ARMCD"]] for row in dm.rows] == [row["ARM"] for row in dm.rows]
    assert dm.rows[0]["ARMCD"] != dm.rows[1]["ARMCD"]
    assert all(row["ACTARMCD"] == row["ARMCD"] and not row["ARMNRS"] for row in dm.rows)


def test_blinded_dm_says_nothing_about_arms(trial) -> None:
    protocol = trial.protocol
    part = randomized_part(protocol)
    people = [treated(protocol, 1, allocation=allocation(part, 0)),
              treated(protocol, 2, allocation=allocation(part, -1))]
    dm = _one(build_dm(context(protocol, people, blinded=True)))
    assert all(row[name] == "" for row in dm.rows for name in (*ARM_VARIABLES, "ARMNRS"))
    words = {a.label for a in protocol.design.arms} | {s.label for p in protocol.design.parts
                                                       for s in p.sequences}
    assert not words & {str(v) for row in dm.rows for v in row.values()}
    first, second = ({k: v for k, v in row.items() if k not in ("USUBJID", "SUBJID")}
                     for row in dm.rows)
    assert first == second  # the twins' rows cannot tell their arms apart


def test_arm_null_reasons_follow_what_happened(trial) -> None:
    protocol = trial.protocol
    people = [Person(1, status="screen_failed", ended_on=on(-30)), Person(2, status="consented"),
              treated(protocol, 3, given=())]
    dm = _one(build_dm(context(protocol, people)))
    assert [(row["ARMCD"] != "", row["ARMNRS"]) for row in dm.rows] == [
        (False, "SCREEN FAILURE"), (False, "NOT ASSIGNED"), (True, "ASSIGNED, NOT TREATED")]


def test_a_death_sets_the_death_flag_and_date(trial) -> None:
    person = treated(trial.protocol, 1, status="died", ended_on=on(200))
    (row,) = _one(build_dm(context(trial.protocol, [person]))).rows
    assert (row["DTHFL"], row["DTHDTC"]) == ("Y", on(200).isoformat())


def test_dm_collection_day_is_a_study_day_without_zero(trial) -> None:
    protocol = trial.protocol
    first = min(dose_day(protocol, a) for a in treated(protocol, 1).given)
    saved = dt.datetime.combine(first, dt.time(23), dt.UTC)
    form = next(f for f in protocol.forms if f.item_with("DM", "SEX") is not None)
    version = VersionRow(1, form.id, protocol.schedule.visits[0].id, 0, 1, {}, "u", "r", saved)
    (row,) = _one(build_dm(context(protocol, [treated(protocol, 1)],
                                   extra=Extra(versions=[version])))).rows
    assert (row["DMDTC"], row["DMDY"]) == (first.isoformat(), 1)


def test_a_dm_annotation_outside_the_standard_goes_to_suppdm(trial) -> None:
    protocol = trial.protocol
    form = next(f for f in protocol.forms if f.item_with("DM", "SEX") is not None)
    extra_item = Item(id="birth_place_h3a", label="Place of birth", type="text",
                      cdisc=Cdisc(domain="DM", variable="BRTHPLC"))
    changed = form.model_copy(update={"items": (*form.items, extra_item)})
    protocol = protocol.model_copy(update={"forms": tuple(
        changed if f.id == form.id else f for f in protocol.forms)})
    rows = [FormRow(1, form.id, protocol.schedule.visits[0].id, 0, {extra_item.id: "Genova"})]
    dm, supp = build_dm(context(protocol, [treated(protocol, 1), treated(protocol, 2)],
                                extra=Extra(forms=rows)))
    assert "BRTHPLC" not in dm.rows[0] and supp.name == "SUPPDM"
    assert [(r["USUBJID"], r["QNAM"], r["QLABEL"], r["QVAL"]) for r in supp.rows] == [
        (dm.rows[0]["USUBJID"], "BRTHPLC", "Place of birth", "Genova")]


def test_se_follows_the_epochs_with_each_element_ending_where_the_next_starts(trial) -> None:
    protocol = trial.protocol
    part = randomized_part(protocol)
    person = treated(protocol, 1, ended_on=on(600), status="completed")
    se = _one(build_se(context(protocol, [person])))
    assert se.rows[0]["ETCD"] == "SCRN" and se.rows[0]["EPOCH"] == SCREENING
    assert se.rows[0]["SESTDTC"] == person.consent.isoformat()
    for before, after in itertools.pairwise(se.rows):
        assert before["SEENDTC"] == after["SESTDTC"]
    assert se.rows[-1]["SEENDTC"] == on(600).isoformat()
    assert [r["SESEQ"] for r in se.rows] == list(range(1, len(se.rows) + 1))
    codes = element_codes(protocol)
    assert person.allocation is not None
    if part.is_crossover:
        sequence = part.sequence(person.allocation.sequence)
        assert [r["ETCD"] for r in se.rows[1:]] == [codes[a] for a in sequence.arms]
    else:
        assert [r["ETCD"] for r in se.rows[1:]] == [codes[person.allocation.arm], "FU"]
        assert se.rows[-1]["EPOCH"] == FOLLOW_UP
    ta = _one(build_ta(context(protocol, [person])))
    assert {r["ETCD"] for r in se.rows} <= {r["ETCD"] for r in ta.rows}


def test_blinded_se_leaves_out_the_arms_treatment_elements(trial) -> None:
    protocol = trial.protocol
    se = _one(build_se(context(protocol, [treated(protocol, 1)], blinded=True)))
    arm_elements = set(element_codes(protocol).values())
    assert se.rows and not {r["ETCD"] for r in se.rows} & arm_elements


def test_sv_has_visits_done_and_missed_with_the_schedules_numbers(trial) -> None:
    protocol = trial.protocol
    scheduled = [v for v in protocol.schedule.visits if not v.unscheduled]
    done, missed, future = scheduled[0], scheduled[1], scheduled[2]
    assert done.day is not None
    visits = [VisitRow(1, done.id, done_on=on(done.day)),
              VisitRow(1, missed.id, missed=True, missed_reason="Travel"),
              VisitRow(1, future.id)]
    ctx = context(protocol, [treated(protocol, 1)], extra=Extra(visits=visits))
    sv = _one(build_sv(ctx))
    tv = {r["VISIT"]: r["VISITNUM"] for r in _one(build_tv(ctx)).rows}
    assert [(r["VISIT"], r["SVOCCUR"], r["SVREASOC"]) for r in sv.rows] == [
        (done.name.upper(), "Y", ""), (missed.name.upper(), "N", "Travel")]
    assert all(tv[r["VISIT"]] == r["VISITNUM"] for r in sv.rows)
    first = sv.rows[0]
    assert first["SVSTDTC"] == on(done.day).isoformat() and first["SVSTDY"] != 0
    assert sv.rows[1]["SVSTDTC"] == "" and sv.rows[1]["SVSTDY"] is None


def test_study_day_one_is_the_first_dose_in_every_special_purpose_domain(trial) -> None:
    protocol = trial.protocol
    first = min(dose_day(protocol, a) for a in course(protocol, randomized_part(protocol)))
    visit = next(v for v in protocol.schedule.visits if v.day is not None and on(v.day) == first)
    ctx = context(protocol, [treated(protocol, 1)],
                  extra=Extra(visits=[VisitRow(1, visit.id, done_on=first)]))
    (row,) = _one(build_sv(ctx)).rows
    assert row["SVSTDY"] == 1 and row["VISITDY"] == 1
    se = _one(build_se(ctx))
    assert se.rows[0]["SEENDY"] == 1


def test_an_administration_at_which_the_arm_receives_nothing_is_no_exposure(trial) -> None:
    protocol = trial.protocol
    part = randomized_part(protocol)
    person = treated(protocol, 1)
    assert person.allocation is not None
    first = person.given[0]
    administration = protocol.administration(first)
    arm = (part.arm_in_period(person.allocation.sequence, administration.period)
           if part.is_crossover and administration.period else person.allocation.arm)
    nothing = administration.by_arm[arm].model_copy(update={"procedure": "none"})
    changed = administration.model_copy(update={"by_arm": {**administration.by_arm,
                                                           arm: nothing}})
    design = protocol.design.model_copy(update={"administrations": tuple(
        changed if a.id == first else a for a in protocol.design.administrations)})
    protocol = protocol.model_copy(update={"design": design})
    (unblinded,) = _one(build_dm(context(protocol, [person]))).rows
    (blinded,) = _one(build_dm(context(protocol, [person], blinded=True))).rows
    first_day = dose_day(protocol, first).isoformat()
    assert unblinded["RFSTDTC"] == blinded["RFSTDTC"] == first_day
    assert blinded["RFXSTDTC"].startswith(first_day)
    if len(person.given) > 1:
        assert unblinded["RFXSTDTC"].startswith(dose_day(protocol, person.given[1]).isoformat())
    else:
        assert unblinded["RFXSTDTC"] == unblinded["RFXENDTC"] == ""
