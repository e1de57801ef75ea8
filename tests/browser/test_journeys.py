"""The trial's journeys in a real browser: Debian's Chromium on the live server.

Each test drives the pages by their labels and roles (so the forms must be labelled for that
to work at all) and saves numbered screenshots under test-artifacts/browser/<test>/. Trial
state a journey does not cover is built beforehand through the actions, with a settable clock.
The main path (screening to joining the first part) and a blinded assessor's work run on every
protocol; the committee's gate on every protocol that has one; the query and signature
journeys on the reference protocol (the same pages, found by the same derived facts).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.support import (
    concealed_terms_in,
    escaped,
    fill_form,
    label,
    open_form,
    open_history,
    open_participant,
    sign_in,
)
from tests.integration.capture_support import signed_form
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    Clock,
    eligible_and_consented,
    join,
    list_live,
    make_team,
    open_randomized_part,
    randomized,
    reviewed_part_done,
)
from trialkit.web.trial.models import Participant, RandomizationSlot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def _enter_screening_forms(browser, server, page: Page, trial, team, clock, shot) -> None:
    """Every screening form, by the role that enters it: the coordinator from the screening
    page's list, another role at the form's address."""
    screening = page.url
    participant = Participant.objects.get(screening_number="S-501")
    visit = trial.screening_visit.id
    pages = {trial.screener: page}
    for form_id, instances in trial.screening_forms(clock.today).items():
        role = trial.entry_role(form_id)
        if role not in pages:
            pages[role] = sign_in(browser, server, team.actor(role).name)
        entering = pages[role]
        for values in instances:
            if role == trial.screener:
                entering.goto(screening)
                open_form(entering, visit, trial.form(form_id).name)
            else:
                entering.goto(reverse("pages:form_entry", args=[participant.pk, visit, form_id]))
            fill_form(entering, trial, form_id, values)
            if trial.form(form_id).kind == "eligibility":
                shot(entering, "eligibility-attestations")
            entering.get_by_role("button", name="Save", exact=True).click()
            expect(entering.get_by_role("heading", level=2, name="Signatures")).to_be_visible()
    page.goto(screening)


@pytest.mark.protocols()
def test_a_coordinator_screens_a_candidate_to_eligible_records_consent_and_joins_the_first_part(
        browser, server, shot, trial, make_actor, clock):
    team = make_team(trial, make_actor)
    part = trial.entry_part
    if part.allocation == "RANDOMIZED":
        list_live(team, clock)
    clock.set(START - dt.timedelta(days=7))
    page = sign_in(browser, server, team.coordinator.name)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screening").click()
    page.get_by_label("Screening number").fill("S-501")
    page.get_by_label("Site", exact=True).select_option(trial.site)
    shot(page, "register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Screening S-501")
    _enter_screening_forms(browser, server, page, trial, team, clock, shot)

    page.get_by_label("Planned Day 0").fill(START.isoformat())
    page.get_by_role("button", name="Update checklist").click()
    page.get_by_role("button", name=f"Evaluate eligibility for Day 0 {START}").click()
    shot(page, "evaluated")
    undecided = Participant.objects.get(screening_number="S-501").eligibility["undecided"]
    assert sorted(undecided) == sorted(trial.data["undecided"])
    if undecided:
        _judge(browser, server, page.url, team, undecided, shot)
        page.reload()
    expect(page.get_by_text("Stored evaluation:")).to_contain_text(
        f"Stored evaluation: eligible for Day 0 {START}")
    page.get_by_label("Date signed").fill(clock.today.isoformat())
    page.get_by_label("Consent form version").fill("ICF 2.0")
    page.get_by_label("Taken by").fill("Dr Lin")
    shot(page, "eligible-consent")
    page.get_by_role("button", name="Record consent").click()
    expect(page.locator(".messages")).to_have_text("Consent recorded.")

    page.get_by_role("link", name="Go to enrolment and randomization").click()
    region = page.get_by_role("region", name=part.name, exact=True)
    expect(region.get_by_text("✓ met").first).to_be_visible()
    expect(region.get_by_text("✗ not met")).to_have_count(0)
    shot(page, "join-checks")
    if part.allocation == "RANDOMIZED":
        _randomize_and_see_no_allocation(page, region, part, trial, shot, "S-501")
    else:
        region.get_by_role("button", name=re.compile(f"^Enrol in {escaped(part.name)}")).click()
        facts = page.locator("dl.facts")
        expect(facts).to_contain_text("Enrolled")
        expect(facts).to_contain_text(part.name)
        expect(facts).to_contain_text(f"{clock.today} (ICF 2.0, taken by Dr Lin)")
        shot(page, "enrolled")
    assert Participant.objects.get(screening_number="S-501").part == part.id


def _judge(browser, server, url: str, team, undecided: list[str], shot) -> None:
    judge = sign_in(browser, server, team.investigator.name)
    judge.goto(url)
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


def _randomize_and_see_no_allocation(page: Page, region, part, trial, shot,
                                     number: str) -> None:
    region.get_by_role("button", name=re.compile(f"^Randomize in {escaped(part.name)}")
                       ).click()
    slot = RandomizationSlot.objects.get(participant__screening_number=number)
    expect(page.get_by_role("heading", level=1)).to_have_text("Randomization result")
    expect(page.locator("dt:text-is('Randomization number') + dd")).to_have_text(slot.number)
    expect(page.locator("dt:text-is('Kit code') + dd")).to_have_text(slot.kit_code)
    shot(page, "randomization-result")
    if "allocation" not in trial.protocol.role(trial.screener).sees:
        assert concealed_terms_in(page.locator("body").inner_text(), trial.protocol) == set()


def _no_decision(trial) -> str:
    gate = trial.committee_gate_opening(trial.randomized_part.id)
    return f"No e-signed decision by the {trial.protocol.role(gate.signer_role).name} yet"


@pytest.mark.protocols("committee_gate")
def test_randomization_is_refused_before_the_committee_decision_naming_the_unmet_check(
        browser, server, shot, trial, make_actor, clock):
    team = make_team(trial, make_actor)
    opened = reviewed_part_done(team, clock)
    part = trial.randomized_part
    eligible_and_consented("R-01", team, clock, opened.day0)
    page = sign_in(browser, server, team.coordinator.name)
    open_participant(page, "R-01")
    page.get_by_role("link", name="Enrol or randomize").click()
    region = page.get_by_role("region", name=part.name, exact=True)
    unmet = region.locator("li").filter(has_text="✗ not met")
    expect(unmet.first).to_be_visible()
    expect(unmet.filter(has_text=_no_decision(trial))).to_have_count(1)
    randomize = region.get_by_role("button", name=re.compile(
        f"^Randomize in {escaped(part.name)}"))
    expect(randomize).to_be_disabled()
    shot(page, "checks-before-the-decision")

    # A page left open from before (or a crafted request) still meets the server's own check.
    randomize.evaluate("b => { b.removeAttribute('disabled'); b.removeAttribute('aria-disabled') }")
    randomize.click()
    refusal = page.locator(".messages .message.error")
    expect(refusal).to_contain_text("randomization refused")
    expect(refusal).to_contain_text(_no_decision(trial))
    shot(page, "refused")
    assert not RandomizationSlot.objects.filter(participant__screening_number="R-01").exists()


@pytest.mark.protocols("committee_gate")
def test_the_committee_chair_e_signs_the_opening_decision_and_the_gate_opens(
        browser, server, shot, trial, make_actor, clock):
    team = make_team(trial, make_actor)
    reviewed_part_done(team, clock)
    gate = trial.committee_gate_opening(trial.randomized_part.id)
    chair = trial.protocol.role(gate.signer_role)
    page = sign_in(browser, server, team.actor(chair.id).name)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=chair.workspace or "Safety committee").click()
    card = page.locator("section.card").filter(has=page.get_by_role(
        "heading", level=3, name=re.compile(escaped(trial.randomized_part.name), re.I)))
    expect(card.get_by_role("heading", level=3)).to_contain_text("closed")
    expect(page.get_by_text("No decision yet.")).to_be_visible()
    shot(page, "workspace-before")

    # A decision is made on a report: the chair produces the open-session one first.
    page.get_by_role("link", name="produce the report").click()
    page.get_by_role("button", name="Produce the open-session report").first.click()
    expect(page.get_by_role("heading", name="Reports produced")).to_be_visible()
    shot(page, "report-produced")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=chair.workspace or "Safety committee").click()
    form = page.locator("form").filter(has=page.get_by_role("heading", name="Decision of the"))
    expect(form.first.get_by_label("Made on the report")).to_contain_text("Open session")
    decision = gate.opening_decisions[0]
    form.first.get_by_label("Decision").select_option(decision)
    form.first.get_by_label("Rationale").fill("No dose-limiting toxicity in the reviewed part")
    form.first.get_by_label("Your password (e-signature)").fill(PASSWORD)
    shot(page, "decision-filled")
    form.first.get_by_role("button", name="E-sign decision").click()
    expect(page.locator(".messages")).to_have_text("Decision e-signed.")
    signed = page.get_by_role("listitem").filter(has_text="e-signed by")
    expect(signed).to_contain_text(decision)
    expect(signed).to_contain_text(f"({chair.name})")  # the role by its name, not its id
    expect(signed).to_contain_text("No dose-limiting toxicity in the reviewed part")
    expect(card.get_by_role("heading", level=3)).to_contain_text("open")
    shot(page, "workspace-after")
    # The workspace is open-session material: pooled figures only (by-arm tables exist only in
    # frozen data cuts of the closed session, docs/adr/0014), so no arm is named on it.
    assert not concealed_terms_in(page.locator("body").inner_text(), trial.protocol)


@pytest.mark.protocols("committee_gate")
def test_after_the_opening_decision_randomization_shows_the_number_and_kit_but_no_arm(
        browser, server, shot, trial, make_actor, clock):
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    part = trial.randomized_part
    eligible_and_consented("R-02", team, clock, opened.day0)
    page = sign_in(browser, server, team.coordinator.name)
    open_participant(page, "R-02")
    page.get_by_role("link", name="Enrol or randomize").click()
    region = page.get_by_role("region", name=part.name, exact=True)
    expect(region.get_by_text("✓ met").first).to_be_visible()
    expect(region.get_by_text("✗ not met")).to_have_count(0)
    shot(page, "checks-met")
    _randomize_and_see_no_allocation(page, region, part, trial, shot, "R-02")


def _assessor_and_form(trial):
    """A role that sees no allocation and enters an assessment at the Day-0 visit."""
    visit = trial.day_zero_visit
    forms = sorted((trial.form(f) for f in visit.forms), key=lambda f: f.repeating)
    for form in forms:
        for role in trial.entry_roles(form):
            if form.kind == "assessment" and "allocation" not in trial.protocol.role(role).sees:
                return role, form
    raise AssertionError(f"{trial.stem}: no blinded role rates at {visit.id}")


@pytest.mark.protocols("randomized")
def test_a_blinded_assessor_enters_an_assessment_and_never_sees_the_allocation(
        browser, server, shot, trial, make_actor, clock):
    team = make_team(trial, make_actor)
    role, form = _assessor_and_form(trial)
    opened = open_randomized_part(team, clock)
    randomized("R-03", team, clock, opened.day0)
    seen: dict[str, set[str]] = {}

    def look(page: Page, step: str) -> None:
        seen[f"{step} {page.url}"] = concealed_terms_in(page.locator("body").inner_text(),
                                                        trial.protocol)
        shot(page, step)

    page = sign_in(browser, server, team.actor(role).name)
    look(page, "dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Participants").click()
    look(page, "participants")
    page.get_by_role("link", name="R-03", exact=True).click()
    look(page, "participant")
    visit = trial.day_zero_visit
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(f"^{escaped(visit.name)}")))
    row.get_by_role("link", name=form.name).first.click()
    fill_form(page, trial, form.id, trial.values(form, clock.today))
    look(page, "assessment-entry")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=3, name=re.compile("^Version 1"))).to_be_visible()
    look(page, "assessment-saved")
    page.get_by_role("link", name="R-03").first.click()
    look(page, "participant-after")
    assert seen and all(found == set() for found in seen.values()), seen


def _enrolled(trial, team, clock, number: str) -> Participant:
    if trial.entry_part.allocation == "RANDOMIZED":
        list_live(team, clock)
    participant = eligible_and_consented(number, team, clock, START)
    join(participant, trial.entry_part.id, team)
    return participant


def test_a_data_manager_raises_a_query_the_site_answers_and_the_data_manager_closes_it(
        browser, server, shot, trial, make_actor, clock):
    team = make_team(trial, make_actor)
    _enrolled(trial, team, clock, "S-601")
    form = trial.forms_of_kind("demographics")[0]
    birth = next(i for i in form.items if i.maps_to is not None
                 and i.maps_to.to == "patient.birth_date")
    page = sign_in(browser, server, team.actor(trial.data_manager).name)
    open_participant(page, "S-601")
    open_history(page, trial.screening_visit.name, form.name)
    page.get_by_label("Item").select_option(label=birth.label)
    page.get_by_label("Question to the site").fill("Date of birth differs from the ID card; "
                                                   "please check the source.")
    shot(page, "raise")
    page.get_by_role("button", name="Raise query").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^Query on {escaped(form.name)} · {escaped(birth.label)} open$"))
    query_url = page.url
    shot(page, "raised")

    site = sign_in(browser, server, team.coordinator.name)
    site.get_by_role("navigation", name="Main").get_by_role("link", name="Queries").click()
    row = site.get_by_role("row").filter(has_text="Date of birth differs")
    expect(row).to_contain_text("S-601")
    expect(row).to_contain_text("open")
    shot(site, "site-inbox")
    row.get_by_role("link", name=re.compile("Date of birth differs")).click()
    site.get_by_label("Answer").fill("Checked against the ID card: the entry is correct.")
    site.get_by_role("button", name="Answer").click()
    expect(site.get_by_role("heading", level=1)).to_contain_text("answered")
    expect(site.get_by_role("listitem").filter(has_text="Checked against the ID card")
           ).to_contain_text(f"({trial.protocol.role(trial.screener).name})")
    shot(site, "answered")

    page.goto(query_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("answered")
    page.get_by_label("Closing note").fill("Answer accepted.")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("closed")
    expect(page.get_by_role("button", name="Close")).to_have_count(0)
    shot(page, "closed")


def test_an_investigator_signs_a_form_and_an_edit_with_a_reason_voids_the_signature(
        browser, server, shot, trial, make_actor, clock):
    from trialkit.web.trial.actions.forms import do_save_form

    team = make_team(trial, make_actor)
    participant = _enrolled(trial, team, clock, "S-701")
    form, first = signed_form(trial)
    visit = next((v for v in trial.visits_collecting(form) if v != trial.screening_visit.id),
                 first)
    number = next(i for i in form.items if i.type in ("integer", "decimal")
                  and i.required and i.derived is None)
    values = trial.values(form, clock.today)
    do_save_form(participant, form.id, visit, values, actor=team.entering(form.id))
    page = sign_in(browser, server, team.investigator.name)
    open_participant(page, "S-701")
    open_history(page, trial.visit(visit).name, form.name)
    expect(page.get_by_text("This form needs a signature")).to_contain_text("(version 1)")
    page.get_by_label("Meaning of the signature").fill("Reviewed against the source")
    page.get_by_label("Your password (re-entered)").fill(PASSWORD)
    shot(page, "sign")
    page.get_by_role("button", name="Sign version 1").click()
    expect(page.locator(".messages")).to_have_text("Signed.")
    valid = page.get_by_role("listitem").filter(has_text="Valid:")
    printed = team.investigator.user.profile.printed_name
    role_name = trial.protocol.role(trial.investigator).name
    expect(valid).to_contain_text(f"{printed} ({role_name}), version 1")
    expect(valid).to_contain_text("Reviewed against the source")
    history_url = page.url
    shot(page, "signed")

    site = sign_in(browser, server, team.entering(form.id).name)
    site.goto(history_url)
    site.get_by_role("link", name="Edit (new version)").click()
    site.get_by_label(label(number.label)).fill(str(values[number.id] + 1))
    site.get_by_label("Reason for change (required)").fill("Transcription error: worksheet "
                                                           "says otherwise")
    shot(site, "edit-with-reason")
    site.get_by_role("button", name="Save", exact=True).click()

    page.reload()
    expect(page.get_by_role("listitem").filter(has_text="Valid:")).to_have_count(0)
    void = page.get_by_role("listitem").filter(has_text="Void (a later version replaced it)")
    expect(void).to_contain_text(f"{printed}, version 1")
    expect(page.get_by_text("Reason for change: Transcription error")).to_be_visible()
    expect(page.get_by_role("button", name="Sign version 2")).to_be_visible()
    shot(page, "signature-void")
