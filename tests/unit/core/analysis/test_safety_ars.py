"""Oracle: the CDISC pilot's published safety displays (ARS "Common Safety Displays").

Every expected number is read from the ARS reporting event itself (its analyses, data
subsets and groupings), never copied by hand: trialkit's safety methods run on the pilot's
ADSL and ADAE must reproduce each published result cell.
"""

from __future__ import annotations

from typing import Any

import pytest

from trialkit.core.analysis import (
    AllOf,
    AnyOf,
    Condition,
    Table,
    events_by_term,
    overview,
)
from trialkit.core.analysis.subsets import Where, select

TRT = "AnlsGrouping_01_Trt"
SOC = "AnlsGrouping_06_Soc"
PT = "AnlsGrouping_07_Pt"


def analysis(ars: dict[str, Any], analysis_id: str) -> dict[str, Any]:
    return next(a for a in ars["analyses"] if a["id"] == analysis_id)


def arm_names(ars: dict[str, Any]) -> dict[str, str]:
    grouping = next(g for g in ars["analysisGroupings"] if g["id"] == TRT)
    return {group["id"]: group["condition"]["value"][0] for group in grouping["groups"]}


def clause(data: dict[str, Any]) -> tuple[Where | None, Where | None]:
    """An ARS where clause as (condition on ADSL, condition on ADAE)."""
    if "condition" in data:
        c = data["condition"]
        where = Condition(c["variable"], c["comparator"], tuple(c["value"]))
        return (where, None) if c["dataset"] == "ADSL" else (None, where)
    compound = data["compoundExpression"]
    parts = [clause(item) for item in compound["whereClauses"]]
    combine = AllOf if compound["logicalOperator"] == "AND" else AnyOf
    adsl = [p[0] for p in parts if p[0] is not None]
    adae = [p[1] for p in parts if p[1] is not None]
    return (combine(tuple(adsl)) if adsl else None, combine(tuple(adae)) if adae else None)


def subset(ars: dict[str, Any], subset_id: str) -> tuple[Where | None, Where | None]:
    return clause(next(s for s in ars["dataSubsets"] if s["id"] == subset_id))


def published(raw: str) -> Any:
    """A raw ARS value as pytest.approx at the precision it was stored with (the SOC and PT
    percentages carry 4 decimals, the overview's up to 15)."""
    decimals = len(raw.partition(".")[2])
    return pytest.approx(float(raw), abs=0.5 * 10 ** -decimals + 1e-12)


def cells(ars: dict[str, Any], analysis_id: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """{(arm, soc, pt...): {"n": ..., "pct": ...}} from an analysis' published results."""
    arms = arm_names(ars)
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    for result in analysis(ars, analysis_id)["results"]:
        key = tuple(arms[g["groupId"]] if g["groupingId"] == TRT else g["groupValue"]
                    for g in result["resultGroups"])
        kind = "n" if result["operationId"].endswith("_n") else "pct"
        found.setdefault(key, {})[kind] = published(result["rawValue"])
    return found


@pytest.fixture(scope="module")
def safety_set(adsl: Table) -> Table:
    return adsl.where(adsl.text("SAFFL") == "Y")


@pytest.fixture(scope="module")
def teae(adae: Table, ars: dict[str, Any]) -> Table:
    _, on_events = subset(ars, "Dss01_TEAE")
    return select(adae, on_events)


@pytest.fixture(scope="module")
def by_term(safety_set: Table, teae: Table):
    return events_by_term(safety_set, teae, reference="Placebo")


def ours(table, key: tuple[str, ...]) -> tuple[int, float | None]:
    count = table.row(*key[1:]).counts[key[0]]
    return count.subjects, count.percent


def test_the_safety_population_has_the_published_arm_sizes(ars, by_term):
    sizes = cells(ars, "An01_05_SAF_Summ_ByTrt")
    assert {key[0]: value["n"] for key, value in sizes.items()} == dict(
        by_term.denominators) == {"Placebo": 86, "Xanomeline Low Dose": 84,
                                  "Xanomeline High Dose": 84}


def test_every_cell_of_the_soc_by_pt_display_an07_10_is_reproduced(ars, by_term):
    expected = cells(ars, "An07_10_SocPt_Summ_ByTrt")
    assert len(expected) == 690
    computed = {(arm, *row.category) for row in by_term.rows if len(row.category) == 2
                for arm in row.counts}
    assert computed == set(expected)
    for key, value in expected.items():
        n, percent = ours(by_term, key)
        assert n == value["n"], key
        assert percent == value["pct"], key


def test_every_cell_of_the_soc_display_an07_09_is_reproduced(ars, by_term):
    expected = cells(ars, "An07_09_Soc_Summ_ByTrt")
    computed = {(arm, *row.category) for row in by_term.rows if len(row.category) == 1
                for arm in row.counts}
    assert computed == set(expected)
    for key, value in expected.items():
        n, percent = ours(by_term, key)
        assert (n, percent) == (value["n"], value["pct"]), key


OVERVIEW = {"any TEAE": ("An07_01_TEAE_Summ_ByTrt", "Dss01_TEAE"),
            "related": ("An07_02_RelTEAE_Summ_ByTrt", "Dss02_Related_TEAE"),
            "serious": ("An07_03_SerTEAE_Summ_ByTrt", "Dss03_Serious_TEAE"),
            "related serious": ("An07_04_RelSerTEAE_Summ_ByTrt", "Dss04_RelSer_TEAE"),
            "leading to death": ("An07_05_TEAELd2Dth_Summ_ByTrt", "Dss05_TEAE_Ld2Dth"),
            "related, leading to death": ("An07_06_RelTEAELd2Dth_Summ_ByTrt",
                                          "Dss06_Rel_TEAE_Ld2Dth"),
            "leading to dose modification": ("An07_07_TEAELd2DoseMod_Summ_ByTrt",
                                             "Dss07_TEAE_Ld2DoseMod"),
            "leading to discontinuation": ("An07_08_TEAELd2TrtDsc_Summ_ByTrt",
                                           "Dss08_AE_Ld2TrtDsc")}


def test_the_overview_reproduces_the_eight_published_category_rows(ars, adae, safety_set):
    categories = {label: subset(ars, dss)[1] for label, (_, dss) in OVERVIEW.items()}
    table = overview(safety_set, adae, categories=categories)
    for label, (analysis_id, _) in OVERVIEW.items():
        for (arm,), value in cells(ars, analysis_id).items():
            count = table.row(label).counts[arm]
            assert count.subjects == value["n"], (label, arm)
            assert count.percent == value["pct"], (label, arm)


COMPARISONS = [("An07_01_TEAE_Comp_ByTrt_PlacLow", "Xanomeline Low Dose"),
               ("An07_01_TEAE_Comp_ByTrt_PlacHigh", "Xanomeline High Dose"),
               ("An07_09_Soc_Comp_ByTrt_PlacLow", "Xanomeline Low Dose"),
               ("An07_09_Soc_Comp_ByTrt_PlacHigh", "Xanomeline High Dose"),
               ("An07_10_SocPt_Comp_ByTrt_PlacLow", "Xanomeline Low Dose"),
               ("An07_10_SocPt_Comp_ByTrt_PlacHigh", "Xanomeline High Dose")]


@pytest.mark.parametrize(("analysis_id", "arm"), COMPARISONS)
def test_each_published_fisher_p_value_is_reproduced_on_its_data_subset(
        ars, adae, safety_set, analysis_id, arm):
    comparison = analysis(ars, analysis_id)
    on_subjects, on_events = subset(ars, comparison["dataSubsetId"])
    table = events_by_term(select(safety_set, on_subjects), select(adae, on_events),
                           reference="Placebo")
    assert table.arms == ("Placebo", arm)
    for result in comparison["results"]:
        category = tuple(g["groupValue"] for g in result["resultGroups"][1:])
        rows = {row.category: row for row in table.rows}
        if result["rawValue"] == "":
            # SAS left it blank: no participant of either arm had the event, so the row is
            # absent from this subset (or, were it shown, its p would be undefined).
            assert category not in rows or rows[category].p_values[arm] is None, category
        else:
            assert rows[category].p_values[arm] == published(result["rawValue"]), category


def test_the_pilot_any_teae_p_values_are_those_the_readme_quotes(by_term):
    any_event = by_term.row()
    assert any_event.p_values["Xanomeline Low Dose"] == pytest.approx(0.0065331294, abs=1e-10)
    assert any_event.p_values["Xanomeline High Dose"] == pytest.approx(0.0136376915,
                                                                        abs=1e-10)
