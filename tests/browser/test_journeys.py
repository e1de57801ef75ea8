"""The trial's journeys in a real browser: Debian's Chromium on the live server.

Each test drives the pages by their labels and roles (so the forms must be labelled for that
to work at all) and saves numbered screenshots under test-artifacts/browser/<test>/. Trial
state a journey does not cover is built beforehand through the actions, with a settable clock.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import VIEWPORT, fill_form, label, protocol, sign_in
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    Clock,
    eligible_and_consented,
    last_it_day,
    make_team,
    open_phase2a,
    run_phase1,
    screening_forms,
)
from trialkit.web.trial.actions.participants import do_enrol_participant, do_register_candidate
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
)
from trialkit.web.trial.models import Participant, RandomizationSlot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
        page.get_by_role("link", name=_form_name(form_id), exact=True).click()
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
    expect(page.locator(".messages")).not_to_contain_text("error")

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
    phase1 = _phase1_done(team, clock)
    eligible_and_consented("P2-01", team, clock, last_it_day(phase1) + dt.timedelta(days=35))
    page = sign_in(browser, server, team.coordinator.name)
    _open_participant(page, "P2-01")
    page.get_by_role("link", name="Enrol or randomize").click()
    phase2a = page.get_by_role("region", name=re.compile("^Phase IIa "))
    unmet = phase2a.locator("li").filter(has_text="✗ not met")
    expect(unmet.first).to_be_visible()
    expect(unmet.filter(has_text=re.compile("SMC|Safety Monitoring", re.I)).first).to_be_visible()
    randomize = phase2a.get_by_role("button", name=re.compile("^Randomize in Phase IIa"))
    expect(randomize).to_be_disabled()
    shot(page, "checks-before-the-decision")

    # A page left open from before (or a crafted request) still meets the server's own check.
    randomize.evaluate("b => { b.removeAttribute('disabled'); b.removeAttribute('aria-disabled'); }")
    randomize.click()
    refusal = page.locator(".messages .message.error")
    expect(refusal).to_contain_text("randomization refused")
    expect(refusal).to_contain_text(re.compile("SMC|Safety Monitoring", re.I))
    shot(page, "refused")
    assert not RandomizationSlot.objects.filter(participant__screening_number="P2-01").exists()


def test_the_smc_chair_e_signs_proceed_and_the_randomization_gate_opens(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    _phase1_done(team, clock)
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
    assert "Placebo" in _concealed_terms_in(page.locator("body").inner_text())


def test_after_the_proceed_decision_randomization_shows_the_number_and_kit_but_no_arm(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    phase1 = open_phase2a(team, clock)
    eligible_and_consented("P2-02", team, clock, last_it_day(phase1) + dt.timedelta(days=35))
    page = sign_in(browser, server, team.coordinator.name)
    _open_participant(page, "P2-02")
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
    assert _concealed_terms_in(page.locator("body").inner_text()) == set()


def test_the_blinded_rater_enters_an_edss_and_never_sees_the_arm(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    rater = make_actor("edss_rater")
    phase1 = open_phase2a(team, clock)
    participant = eligible_and_consented("P2-03", team, clock,
                                         last_it_day(phase1) + dt.timedelta(days=35))
    do_randomize_participant(participant, actor=team.coordinator)
    seen: dict[str, set[str]] = {}

    def look(page, step: str) -> None:
        seen[f"{step} {page.url}"] = _concealed_terms_in(page.locator("body").inner_text())
        shot(page, step)

    page = sign_in(browser, server, rater.name)
    look(page, "dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Participants").click()
    look(page, "participants")
    page.get_by_role("link", name="P2-03", exact=True).click()
    look(page, "participant")
    page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile("^Day 0"))).get_by_role(
        "link", name="EDSS assessment (blinded rater)").click()
    fill_form(page, "EDSS", {**screening_forms(clock.today)["EDSS"],
                             "assessment_date": clock.today.isoformat()})
    look(page, "edss-entry")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=3, name=re.compile("^Version 1"))).to_be_visible()
    look(page, "edss-saved")
    page.get_by_role("link", name="P2-03").first.click()
    look(page, "participant-after")
    assert seen and all(found == set() for found in seen.values()), seen


def _phase1_done(team, clock: Clock) -> list[Participant]:
    """The list live and Phase I dosed; the clock on the day the SMC review may first end."""
    clock.set(START - dt.timedelta(days=30))
    do_generate_randomization_list(20260101, actor=team.statistician)
    do_release_randomization_list(actor=team.statistician)
    phase1 = run_phase1(team, clock)
    clock.set(last_it_day(phase1) + dt.timedelta(days=28))
    return phase1


def _open_participant(page, number: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Participants").click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Participant {number}")


def _concealed_terms_in(text: str) -> set[str]:
    """Arm ids and labels, preparations and procedure types found in a page's visible text,
    after the public protocol text that names the design (title, part names) is removed."""
    design = protocol()
    terms = {v for arm in design.design.arms for v in (arm.id, arm.label)}
    terms |= {p.preparation for a in design.design.administrations for p in a.by_arm.values()}
    terms |= {"real", "sham"}
    public = [design.identity.brief_title, *(p.name for p in design.design.parts),
              *(c.text for c in design.eligibility.criteria)]
    seen = re.sub(r"\s+", " ", text).lower()
    for known in sorted((re.sub(r"\s+", " ", t).lower() for t in public), key=len, reverse=True):
        seen = seen.replace(known, " ")
    return {t for t in terms if re.search(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])", seen)}


def _form_name(form_id: str) -> str:
    return protocol().form(form_id).name


def test_a_data_manager_raises_a_query_the_site_answers_and_the_data_manager_closes_it(
        browser, server, shot, make_actor, clock):
    team = make_team(make_actor)
    data_manager = make_actor("data_manager")
    _enrolled_in_phase1("S-601", team, clock)
    page = sign_in(browser, server, data_manager.name)
    _open_participant(page, "S-601")
    _open_history(page, "Demographics")
    page.get_by_label("Item").select_option(label="Date of birth")
    page.get_by_label("Question to the site").fill("Date of birth differs from the ID card; "
                                                   "please check the source.")
    shot(page, "raise")
    page.get_by_role("button", name="Raise query").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Query on DM · birth_date open$"))
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
    _enrolled_in_phase1("S-701", team, clock)
    page = sign_in(browser, server, team.investigator.name)
    _open_participant(page, "S-701")
    _open_history(page, "EDSS assessment (blinded rater)")
    expect(page.get_by_text("This form needs an investigator's signature")).to_contain_text(
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


def test_the_keyboard_reaches_every_control_of_sign_in_and_form_entry_and_the_skip_link_works(
        browser, server, shot, make_actor):
    coordinator = make_actor("coordinator")
    participant = do_register_candidate("S-801", "CMUH", actor=coordinator)
    page = browser.new_context(viewport=VIEWPORT, base_url=server).new_page()
    page.goto("/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    assert _tab_stops(page, 2) == ["password", "button:Sign in"]
    page.get_by_label("Username").focus()
    for _ in range(4):  # back from the username, past the header's links, to the skip link
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.className") == "skip":
            break
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["x"] >= 0, "the focused skip link is on screen"
    shot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert _tab_stops(page, 1) == ["username"]
    page.keyboard.type(coordinator.name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"/participants/{participant.pk}/forms/SCR/DM/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    controls = page.locator("#entry-form").evaluate(
        """form => [...form.elements].filter(e => e.type !== 'hidden' && e.tagName !== 'FIELDSET')
             .filter((e, i, all) => e.type !== 'radio' || all.findIndex(o => o.name === e.name) === i)
             .map(e => e.type === 'radio' ? e.name : e.tagName === 'BUTTON'
                  ? 'button:' + e.textContent.trim() : e.id)""")
    # A date control takes a Tab stop per part (month, day, year): count each control once.
    pressed = _tab_stops(page, len(controls) + 6)
    stops = [s for i, s in enumerate(pressed) if i == 0 or s != pressed[i - 1]]
    shot(page, "form-entry-last-control-focused")
    assert stops[1:len(controls) + 1] == controls, "after the back link, Tab visits the " \
        "form's controls in order"


def _tab_stops(page, count: int) -> list[str]:
    """What Tab focuses, ``count`` times: a radio group by its name, a button by its text."""
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => { const e = document.activeElement;
            return e.type === 'radio' ? e.name : e.tagName === 'BUTTON'
                ? 'button:' + e.textContent.trim() : (e.id || e.tagName + ':' + e.textContent); }"""))
    return stops


def _enrolled_in_phase1(number: str, team, clock: Clock) -> Participant:
    """Screened (forms saved a week before Day 0), consented and enrolled in Phase I."""
    participant = eligible_and_consented(number, team, clock, START)
    do_enrol_participant(participant, "phase1", actor=team.coordinator)
    return participant


def _open_history(page, form_name: str) -> None:
    """From the participant page: the screening instance of a form, then its history."""
    page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Screening")
                                   ).get_by_role("link", name=form_name, exact=True).click()
    page.get_by_role("link", name="versions, audit trail and signatures").click()
    expect(page.get_by_role("heading", level=2, name="Signatures")).to_be_visible()
