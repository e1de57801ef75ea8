"""The trial's journeys in a real browser: Debian's Chromium on the live server.

Each test drives the pages by their labels and roles (so the forms must be labelled for that
to work at all) and saves numbered screenshots under test-artifacts/browser/<test>/. Trial
state a journey does not cover is built beforehand through the actions, with a settable clock.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    concealed_terms_in,
    enrolled_in_phase1,
    fill_form,
    form_name,
    label,
    open_history,
    open_participant,
    phase1_done,
    sign_in,
)
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    Clock,
    eligible_and_consented,
    last_it_day,
    make_team,
    open_phase2a,
    screening_forms,
)
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import Participant, RandomizationSlot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NO_DECISION = "No e-signed decision by the SMC chair yet"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def test_a_coordinator_screens_a_candidate_to_eligible_records_consent_and_enrols(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    clock.set(START - dt.timedelta(days=7))
    page = sign_in(browser, server, team.coordinator.name)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screening").click()
    page.get_by_label("Screening number").fill("S-501")
    page.get_by_label("Site", exact=True).select_option("CMUH")
    shot(page, "register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Screening S-501")

    forms = screening_forms(clock.today)
    for form_id, data in forms.items():
        page.get_by_role("link", name=form_name(form_id), exact=True).click()
        fill_form(page, form_id, data)
        if form_id == "ELIG":
            shot(page, "eligibility-attestations")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", level=2, name="Signatures")).to_be_visible()
        page.get_by_role("link", name="S-501").first.click()
        page.get_by_role("link", name="Screening", exact=True).last.click()

    page.get_by_label("Planned Day 0").fill(START.isoformat())
    page.get_by_role("button", name="Update checklist").click()
    page.get_by_role("button", name=f"Evaluate eligibility for Day 0 {START}").click()
    shot(page, "evaluated-with-open-history-criteria")
    undecided = Participant.objects.get(screening_number="S-501").eligibility["undecided"]
    assert undecided, "the forms leave the medical-history criteria to the investigator"

    judge = sign_in(browser, server, team.investigator.name)
    judge.goto(page.url)
    for criterion in undecided:
        group = judge.get_by_role("group", name=re.compile(rf"^{criterion} \("))
        inclusion = "(inclusion)" in group.locator("legend").inner_text()
        group.get_by_label("Met" if inclusion else "Not met", exact=True).check()
    judge.get_by_label("Rationale (source documents reviewed)").fill(
        "Referral letter and pharmacy history reviewed")
    judge.get_by_label("Your password (re-entered)").fill(PASSWORD)
    shot(judge, "investigator-judges")
    judge.get_by_role("button", name="Record judgements").click()
    expect(judge.locator(".messages")).to_have_text("Judgements recorded: eligible.")

    page.reload()
    expect(page.get_by_text("Stored evaluation:")).to_contain_text(
        f"Stored evaluation: eligible for Day 0 {START}")
    for criterion in undecided:
        expect(page.locator("#checklist li").filter(has_text=re.compile(rf"^{criterion} "))
               ).to_contain_text("Judged ")
    page.get_by_label("Date signed").fill(clock.today.isoformat())
    page.get_by_label("Consent form version").fill("ICF 2.0")
    page.get_by_label("Taken by").fill("Dr Lin")
    shot(page, "eligible-consent")
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator(".messages")).to_have_text("Consent recorded.")

    page.get_by_role("link", name="Go to enrolment and randomization").click()
    phase1 = page.get_by_role("region", name=re.compile("^Phase I "))
    expect(phase1.get_by_text("✓ met").first).to_be_visible()
    expect(phase1.get_by_text("✗ not met")).to_have_count(0)
    shot(page, "enrol-checks")
    phase1.get_by_role("button", name=re.compile("^Enrol in Phase I ")).click()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Enrolled")
    expect(facts).to_contain_text("Phase I (sequential safety cohort)")
    expect(facts).to_contain_text(f"{clock.today} (ICF 2.0, taken by Dr Lin)")
    shot(page, "enrolled")
    assert Participant.objects.get(screening_number="S-501").part == "phase1"


def test_randomization_is_refused_before_the_smc_decision_naming_the_unmet_check(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    phase1 = phase1_done(team, clock)
    eligible_and_consented("P2-01", team, clock, last_it_day(phase1) + dt.timedelta(days=35))
    page = sign_in(browser, server, team.coordinator.name)
    open_participant(page, "P2-01")
    page.get_by_role("link", name="Enrol or randomize").click()
    phase2a = page.get_by_role("region", name=re.compile("^Phase IIa "))
    unmet = phase2a.locator("li").filter(has_text="✗ not met")
    expect(unmet.first).to_be_visible()
    expect(unmet.filter(has_text=NO_DECISION)).to_have_count(1)
    randomize = phase2a.get_by_role("button", name=re.compile("^Randomize in Phase IIa"))
    expect(randomize).to_be_disabled()
    shot(page, "checks-before-the-decision")

    # A page left open from before (or a crafted request) still meets the server's own check.
    randomize.evaluate("b => { b.removeAttribute('disabled'); b.removeAttribute('aria-disabled') }")
    randomize.click()
    refusal = page.locator(".messages .message.error")
    expect(refusal).to_contain_text("randomization refused")
    expect(refusal).to_contain_text(NO_DECISION)
    shot(page, "refused")
    assert not RandomizationSlot.objects.filter(participant__screening_number="P2-01").exists()


def test_the_smc_chair_e_signs_proceed_and_the_randomization_gate_opens(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    phase1_done(team, clock)
    page = sign_in(browser, server, team.chair.name)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SMC workspace").click()
    gate = page.locator("section.card").filter(
        has=page.get_by_role("heading", level=3, name=re.compile("Phase IIa", re.I)))
    expect(gate.get_by_role("heading", level=3)).to_contain_text("closed")
    expect(page.get_by_text("No decision yet.")).to_be_visible()
    shot(page, "workspace-before")

    form = page.locator("form").filter(has=page.get_by_role("heading", name="Decision of the"))
    form.first.get_by_label("Decision").select_option("proceed")
    form.first.get_by_label("Rationale").fill("No dose-limiting toxicity in the Phase I cohort")
    form.first.get_by_label("Your password (e-signature)").fill(PASSWORD)
    shot(page, "decision-filled")
    form.first.get_by_role("button", name="E-sign decision").click()
    expect(page.locator(".messages")).to_have_text("Decision e-signed.")
    decision = page.get_by_role("listitem").filter(has_text="e-signed by")
    expect(decision).to_contain_text("proceed")
    expect(decision).to_contain_text("(smc_chair)")
    expect(decision).to_contain_text("No dose-limiting toxicity in the Phase I cohort")
    expect(gate.get_by_role("heading", level=3)).to_contain_text("open")
    shot(page, "workspace-after")
    # The chair's closed session shows the arms: the detector the rater's journey relies on
    # does find them where they are.
    assert "Placebo" in concealed_terms_in(page.locator("body").inner_text())


def test_after_the_proceed_decision_randomization_shows_the_number_and_kit_but_no_arm(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    phase1 = open_phase2a(team, clock)
    eligible_and_consented("P2-02", team, clock, last_it_day(phase1) + dt.timedelta(days=35))
    page = sign_in(browser, server, team.coordinator.name)
    open_participant(page, "P2-02")
    page.get_by_role("link", name="Enrol or randomize").click()
    phase2a = page.get_by_role("region", name=re.compile("^Phase IIa "))
    expect(phase2a.get_by_text("✓ met").first).to_be_visible()
    expect(phase2a.get_by_text("✗ not met")).to_have_count(0)
    shot(page, "checks-met")
    phase2a.get_by_role("button", name=re.compile("^Randomize in Phase IIa")).click()

    slot = RandomizationSlot.objects.get(participant__screening_number="P2-02")
    expect(page.get_by_role("heading", level=1)).to_have_text("Randomization result")
    expect(page.locator("dt:text-is('Randomization number') + dd")).to_have_text(slot.number)
    expect(page.locator("dt:text-is('Kit code') + dd")).to_have_text(slot.kit_code)
    shot(page, "result")
    assert concealed_terms_in(page.locator("body").inner_text()) == set()


def test_the_blinded_rater_enters_an_edss_and_never_sees_the_arm(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    rater = make_actor("edss_rater")
    phase1 = open_phase2a(team, clock)
    participant = eligible_and_consented("P2-03", team, clock,
                                         last_it_day(phase1) + dt.timedelta(days=35))
    do_randomize_participant(participant, actor=team.coordinator)
    seen: dict[str, set[str]] = {}

    def look(page: Page, step: str) -> None:
        seen[f"{step} {page.url}"] = concealed_terms_in(page.locator("body").inner_text())
        shot(page, step)

    page = sign_in(browser, server, rater.name)
    look(page, "dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Participants").click()
    look(page, "participants")
    page.get_by_role("link", name="P2-03", exact=True).click()
    look(page, "participant")
    day0 = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("^Day 0")))
    day0.get_by_role("link", name=form_name("EDSS")).click()
    fill_form(page, "EDSS", {**screening_forms(clock.today)["EDSS"],
                             "assessment_date": clock.today.isoformat()})
    look(page, "edss-entry")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=3, name=re.compile("^Version 1"))).to_be_visible()
    look(page, "edss-saved")
    page.get_by_role("link", name="P2-03").first.click()
    look(page, "participant-after")
    assert seen and all(found == set() for found in seen.values()), seen


def test_a_data_manager_raises_a_query_the_site_answers_and_the_data_manager_closes_it(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    data_manager = make_actor("data_manager")
    enrolled_in_phase1("S-601", team, clock)
    page = sign_in(browser, server, data_manager.name)
    open_participant(page, "S-601")
    open_history(page, "Demographics")
    page.get_by_label("Item").select_option(label="Date of birth")
    page.get_by_label("Question to the site").fill("Date of birth differs from the ID card; "
                                                   "please check the source.")
    shot(page, "raise")
    page.get_by_role("button", name="Raise query").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Query on Demographics · Date of birth open$"))
    query_url = page.url
    shot(page, "raised")

    site = sign_in(browser, server, team.coordinator.name)
    site.get_by_role("navigation", name="Main").get_by_role("link", name="Queries").click()
    row = site.get_by_role("row").filter(has_text="Date of birth differs")
    expect(row).to_contain_text("S-601")
    expect(row).to_contain_text("open")
    shot(site, "site-inbox")
    row.get_by_role("link").click()
    site.get_by_label("Answer").fill("Checked against the ID card: the entry is correct.")
    site.get_by_role("button", name="Answer").click()
    expect(site.get_by_role("heading", level=1)).to_contain_text("answered")
    expect(site.get_by_role("listitem").filter(has_text="Checked against the ID card")
           ).to_contain_text("(coordinator)")
    shot(site, "answered")

    page.goto(query_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("answered")
    page.get_by_label("Closing note").fill("Answer accepted.")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("closed")
    expect(page.get_by_role("button", name="Close")).to_have_count(0)
    shot(page, "closed")


def test_an_investigator_signs_a_form_and_an_edit_with_a_reason_voids_the_signature(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    enrolled_in_phase1("S-701", team, clock)
    page = sign_in(browser, server, team.investigator.name)
    open_participant(page, "S-701")
    open_history(page, "EDSS assessment (blinded rater)")
    expect(page.get_by_text("This form needs a signature")).to_contain_text(
        "(version 1)")
    page.get_by_label("Meaning of the signature").fill("Reviewed against the source")
    page.get_by_label("Your password (re-entered)").fill(PASSWORD)
    shot(page, "sign")
    page.get_by_role("button", name="Sign version 1").click()
    expect(page.locator(".messages")).to_have_text("Signed.")
    valid = page.get_by_role("listitem").filter(has_text="Valid:")
    expect(valid).to_contain_text("Investigator Cmuh (investigator), version 1")
    expect(valid).to_contain_text("Reviewed against the source")
    history_url = page.url
    shot(page, "signed")

    site = sign_in(browser, server, team.coordinator.name)
    site.goto(history_url)
    site.get_by_role("link", name="Edit (new version)").click()
    site.get_by_label(label("EDSS (rater)")).fill("3.5")
    site.get_by_label("Reason for change (required)").fill("Transcription error: worksheet "
                                                           "says 3.5")
    shot(site, "edit-with-reason")
    site.get_by_role("button", name="Save").click()

    page.reload()
    expect(page.get_by_role("listitem").filter(has_text="Valid:")).to_have_count(0)
    void = page.get_by_role("listitem").filter(has_text="Void (a later version replaced it)")
    expect(void).to_contain_text("Investigator Cmuh, version 1")
    expect(page.get_by_text("Reason for change: Transcription error")).to_be_visible()
    expect(page.get_by_role("button", name="Sign version 2")).to_be_visible()
    shot(page, "signature-void")
