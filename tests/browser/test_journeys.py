"""The trial's journeys in a real browser: Debian's Chromium on the live server.

Each test drives the pages by their labels and roles (so the forms must be labelled for that
to work at all) and saves numbered screenshots under
test-artifacts/browser/<language>/<test>/. Trial state a journey does not cover is built
beforehand through the actions, with a settable clock. The main path (screening to joining the
first part) and a blinded assessor's work run on every protocol; the committee's gate on every
protocol that has one; the query and signature journeys on the reference protocol (the same
pages, found by the same derived facts).

Every journey runs in English and in Traditional Chinese (``language``), written once: the
pages' words come from the catalogue (``support.words``), the protocol's from its translation
(``support.shown``), so a Chinese page that shows an interface word in English fails the
journey. English runs on every protocol named above; Chinese only on the protocols that carry
Chinese words (today the reference protocol, the Taiwanese trial): the other protocols' pages
are the same templates, and the Chinese run of a long journey costs as much as the English one
(conftest.py). The coordinator's journey picks the language with the picker on the sign-in
page; the other people arrive with the language cookie already set.

What stays English on a Chinese page, by design (docs/adr/0019-languages.md): the protocol's
words it has no translation for (a committee's name, decision codes) and what
people typed. Sentences built by trialkit.core (a gate's unmet check, a criterion's
explanation) and an action's refusal are worded in the reader's language (docs/adr/0023).
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
    shown,
    sign_in,
    words,
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
from trialkit.core.forms.consent_record import ConsentFacts
from trialkit.web.trial.models import Participant, RandomizationSlot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def _enter_screening_forms(browser, server, page: Page, trial, team, clock, shot,
                           language: str) -> None:
    """Every screening form, by the role that enters it: the coordinator from the screening
    page's list, another role at the form's address."""
    t, protocol = words(language), shown(trial.protocol, language)
    screening = page.url
    participant = Participant.objects.get(screening_number="S-501")
    visit = trial.screening_visit.id
    pages = {trial.screener: page}
    # The consent recorded below entered its form where it could; the rest agree with it.
    consent = ConsentFacts(clock.today, "ICF 2.0", "Dr Lin")
    for form_id, instances in trial.screening_forms(clock.today, consent=consent).items():
        role = trial.entry_role(form_id)
        if role not in pages:
            pages[role] = sign_in(browser, server, team.actor(role).name, language)
        entering = pages[role]
        for values in instances:
            if role == trial.screener:
                entering.goto(screening)
                open_form(entering, visit, protocol.form(form_id).name)
            else:
                entering.goto(reverse("pages:form_entry", args=[participant.pk, visit, form_id]))
            fill_form(entering, trial, form_id, values, language)
            if trial.form(form_id).kind == "eligibility":
                shot(entering, "eligibility-attestations")
            entering.get_by_role("button", name=t("Save"), exact=True).click()
            expect(entering.get_by_role("heading", level=2, name=t("Signatures"))
                   ).to_be_visible()
    page.goto(screening)


@pytest.mark.protocols()
def test_a_coordinator_records_consent_screens_a_candidate_to_eligible_and_joins_the_first_part(
        browser, server, shot, trial, make_actor, clock, language):
    t = words(language)
    team = make_team(trial, make_actor)
    part = trial.entry_part
    if part.allocation == "RANDOMIZED":
        list_live(team, clock)
    clock.set(START - dt.timedelta(days=7))
    page = sign_in(browser, server, team.coordinator.name, language, picker=True)
    page.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("Screening")).click()
    page.get_by_label(t("Screening number")).fill("S-501")
    page.get_by_label(t("Site"), exact=True).select_option(trial.site)
    shot(page, "register")
    page.get_by_role("button", name=t("Register")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        t("Screening %(number)s", number="S-501"))
    # Consent first: no study data before it (the kernel refuses them; ICH E6 4.8.8).
    page.get_by_label(t("Date signed")).fill(clock.today.isoformat())
    page.get_by_label(t("Consent form version")).fill("ICF 2.0")
    page.get_by_label(t("Taken by")).fill("Dr Lin")
    shot(page, "consent")
    page.get_by_role("button", name=t("Record consent")).click()
    expect(page.locator(".messages")).to_have_text(t("Consent recorded."))
    _enter_screening_forms(browser, server, page, trial, team, clock, shot, language)

    page.get_by_label(t("Planned Day 0")).fill(START.isoformat())
    page.get_by_role("button", name=t("Update checklist")).click()
    page.get_by_role("button", name=t("Evaluate eligibility for Day 0 %(date)s", date=START)
                     ).click()
    shot(page, "evaluated")
    undecided = Participant.objects.get(screening_number="S-501").eligibility["undecided"]
    assert sorted(undecided) == sorted(trial.data["undecided"])
    if undecided:
        _judge(browser, server, page.url, team, undecided, shot, language)
        page.reload()
    stored = t("Stored evaluation:")
    eligible = t("eligible", context="eligibility verdict")
    for_day_0 = t.pattern("for Day 0 %(date)s (by %(person)s on %(on)s)", date=START)
    expect(page.get_by_text(stored)).to_contain_text(
        re.compile(rf"{escaped(stored)}\s*{escaped(eligible)}\s*{for_day_0.pattern}"))

    page.get_by_role("link", name=t("Go to enrolment and randomization")).click()
    region = page.get_by_role("region", name=shown(trial.protocol, language).part(part.id).name,
                                exact=True)
    expect(region.get_by_text(t("✓ met")).first).to_be_visible()
    expect(region.get_by_text(t("✗ not met"))).to_have_count(0)
    shot(page, "join-checks")
    if part.allocation == "RANDOMIZED":
        _randomize_and_see_no_allocation(page, region, part, trial, shot, "S-501", language)
    else:
        region.get_by_role("button", name=_starting(t.pattern("Enrol in %(part)s",
                                                               part=shown(trial.protocol, language).part(part.id).name))).click()
        facts = page.locator("dl.facts")
        expect(facts).to_contain_text(t("Enrolled", context="participant status"))
        expect(facts).to_contain_text(shown(trial.protocol, language).part(part.id).name)
        expect(facts).to_contain_text(t("%(date)s (%(version)s, taken by %(person)s)",
                                        date=clock.today, version="ICF 2.0", person="Dr Lin"))
        shot(page, "enrolled")
    assert Participant.objects.get(screening_number="S-501").part == part.id


def _judge(browser, server, url: str, team, undecided: list[str], shot, language: str) -> None:
    t = words(language)
    judge = sign_in(browser, server, team.investigator.name, language)
    judge.goto(url)
    for criterion in undecided:
        group = judge.get_by_role("group", name=re.compile(rf"^{criterion} \("))
        inclusion = f"({t('inclusion')})" in group.locator("legend").inner_text()
        group.get_by_label(t("Met") if inclusion else t("Not met"), exact=True).check()
    judge.get_by_label(t("Rationale (source documents reviewed)")).fill(
        "Referral letter and pharmacy history reviewed")
    judge.get_by_label(t("Your password (re-entered)")).fill(PASSWORD)
    shot(judge, "investigator-judges")
    judge.get_by_role("button", name=t("Record judgements")).click()
    expect(judge.locator(".messages")).to_have_text(t(
        "Judgements recorded: %(verdict)s.", verdict=t("eligible", context="eligibility verdict")))


def _starting(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A button's name that begins with this text (a hint may follow it)."""
    return re.compile(f"^{pattern.pattern}")


def _randomize_and_see_no_allocation(page: Page, region, part, trial, shot,
                                     number: str, language: str) -> None:
    t = words(language)
    region.get_by_role("button", name=_starting(t.pattern("Randomize in %(part)s",
                                                          part=shown(trial.protocol, language).part(part.id).name))).click()
    slot = RandomizationSlot.objects.get(participant__screening_number=number)
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Randomization result"))
    expect(page.locator(f"dt:text-is('{t('Randomization number')}') + dd")
           ).to_have_text(slot.number)
    expect(page.locator(f"dt:text-is('{t('Kit code')}') + dd")).to_have_text(slot.kit_code)
    shot(page, "randomization-result")
    if "allocation" not in trial.protocol.role(trial.screener).sees:
        assert concealed_terms_in(page.locator("body").inner_text(), trial.protocol,
                                  language) == set()


def _no_decision(trial, language: str, names_in: str) -> re.Pattern[str]:
    """The unmet check of the committee's gate: a sentence of trialkit.core, worded in the
    reader's language (docs/adr/0023), naming the signing role in ``names_in``: the reader's
    language on the checklist, the protocol's in the action's refusal."""
    gate = trial.committee_gate_opening(trial.randomized_part.id)
    signer = shown(trial.protocol, names_in).role(gate.signer_role).name
    return words(language).pattern(
        "No e-signed decision by the %(signer)s yet; one of %(opening)s is required.",
        signer=signer)


@pytest.mark.protocols("committee_gate")
def test_randomization_is_refused_before_the_committee_decision_naming_the_unmet_check(
        browser, server, shot, trial, make_actor, clock, language):
    t = words(language)
    team = make_team(trial, make_actor)
    opened = reviewed_part_done(team, clock)
    part = trial.randomized_part
    eligible_and_consented("R-01", team, clock, opened.day0)
    page = sign_in(browser, server, team.coordinator.name, language)
    open_participant(page, "R-01", language)
    page.get_by_role("link", name=t("Enrol or randomize")).click()
    region = page.get_by_role("region", name=shown(trial.protocol, language).part(part.id).name,
                                exact=True)
    unmet = region.locator("li").filter(has_text=t("✗ not met"))
    expect(unmet.first).to_be_visible()
    expect(unmet.filter(has_text=_no_decision(trial, language, language))).to_have_count(1)
    randomize = region.get_by_role("button", name=_starting(
        t.pattern("Randomize in %(part)s", part=shown(trial.protocol, language).part(part.id).name)))
    expect(randomize).to_be_disabled()
    shot(page, "checks-before-the-decision")

    # A page left open from before (or a crafted request) still meets the server's own check.
    randomize.evaluate("b => { b.removeAttribute('disabled'); b.removeAttribute('aria-disabled') }")
    randomize.click()
    refusal = page.locator(".messages .message.error")
    # The action's refusal and the core's unmet check in it, both in the reader's language.
    expect(refusal).to_contain_text(t("randomization refused: %(reasons)s", reasons="").strip())
    expect(refusal).to_contain_text(_no_decision(trial, language, "en"))
    shot(page, "refused")
    assert not RandomizationSlot.objects.filter(participant__screening_number="R-01").exists()


@pytest.mark.protocols("committee_gate")
def test_the_committee_chair_e_signs_the_opening_decision_and_the_gate_opens(
        browser, server, shot, trial, make_actor, clock, language):
    t = words(language)
    team = make_team(trial, make_actor)
    reviewed_part_done(team, clock)
    gate = trial.committee_gate_opening(trial.randomized_part.id)
    chair = shown(trial.protocol, language).role(gate.signer_role)
    workspace = chair.workspace or t("Safety committee")
    page = sign_in(browser, server, team.actor(chair.id).name, language)
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=workspace).click()
    opened = shown(trial.protocol, language).part(trial.randomized_part.id).name
    card = page.locator("section.card").filter(has=page.get_by_role(
        "heading", level=3, name=re.compile(escaped(opened), re.I)))  # in the reader's words
    expect(card.get_by_role("heading", level=3)).to_contain_text(t("closed", context="gate"))
    expect(page.get_by_text(t("No decision yet."))).to_be_visible()
    shot(page, "workspace-before")

    # A decision is made on a report: the chair produces the open-session one first.
    page.get_by_role("link", name=_link_text(t(
        'A decision is e-signed on a safety report, and none has been produced for this gate '
        'yet: <a href="%(url)s">produce the report</a> first.'))).click()
    page.get_by_role("button", name=t("Produce the open-session report")).first.click()
    expect(page.get_by_role("heading", name=t("Reports produced"))).to_be_visible()
    shot(page, "report-produced")
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=workspace).click()
    form = page.locator("form").filter(has=page.get_by_role(
        "heading", name=t.pattern("Decision of the %(committee)s")))
    expect(form.first.get_by_label(t("Made on the report"))).to_contain_text(t.pattern(
        "Open session, data as of %(as_of)s, produced %(produced)s (PDF SHA-256 %(sha)s…)"))
    decision = gate.opening_decisions[0]
    form.first.get_by_label(t("Decision"), exact=True).select_option(decision)
    form.first.get_by_label(t("Rationale"), exact=True).fill(
        "No dose-limiting toxicity in the reviewed part")
    form.first.get_by_label(t("Your password (e-signature)")).fill(PASSWORD)
    shot(page, "decision-filled")
    form.first.get_by_role("button", name=t("E-sign decision")).click()
    expect(page.locator(".messages")).to_have_text(t("Decision e-signed."))
    # The role by its name (in the reader's language), not its id.
    signed = page.get_by_role("listitem").filter(has_text=t.pattern(
        "e-signed by %(person)s (%(role)s) on %(moment)s", role=chair.name))
    expect(signed).to_contain_text(decision)
    expect(signed).to_contain_text("No dose-limiting toxicity in the reviewed part")
    expect(card.get_by_role("heading", level=3)).to_contain_text(t("open", context="gate"))
    shot(page, "workspace-after")
    # The workspace is open-session material: pooled figures only (by-arm tables exist only in
    # frozen data cuts of the closed session, docs/adr/0014), so no arm is named on it.
    assert not concealed_terms_in(page.locator("body").inner_text(), trial.protocol, language)


def _link_text(message: str) -> str:
    """The words of the one link inside a translated message."""
    found = re.search(r"<a [^>]*>(.+?)</a>", message)
    assert found, message
    return found.group(1)


@pytest.mark.protocols("committee_gate")
def test_after_the_opening_decision_randomization_shows_the_number_and_kit_but_no_arm(
        browser, server, shot, trial, make_actor, clock, language):
    t = words(language)
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    part = trial.randomized_part
    eligible_and_consented("R-02", team, clock, opened.day0)
    page = sign_in(browser, server, team.coordinator.name, language)
    open_participant(page, "R-02", language)
    page.get_by_role("link", name=t("Enrol or randomize")).click()
    region = page.get_by_role("region", name=shown(trial.protocol, language).part(part.id).name,
                                exact=True)
    expect(region.get_by_text(t("✓ met")).first).to_be_visible()
    expect(region.get_by_text(t("✗ not met"))).to_have_count(0)
    shot(page, "checks-met")
    _randomize_and_see_no_allocation(page, region, part, trial, shot, "R-02", language)


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
        browser, server, shot, trial, make_actor, clock, language):
    t, protocol = words(language), shown(trial.protocol, language)
    team = make_team(trial, make_actor)
    role, form = _assessor_and_form(trial)
    opened = open_randomized_part(team, clock)
    randomized("R-03", team, clock, opened.day0)
    seen: dict[str, set[str]] = {}

    def look(page: Page, step: str) -> None:
        seen[f"{step} {page.url}"] = concealed_terms_in(page.locator("body").inner_text(),
                                                        trial.protocol, language)
        shot(page, step)

    page = sign_in(browser, server, team.actor(role).name, language)
    look(page, "dashboard")
    page.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("Participants")).click()
    look(page, "participants")
    page.get_by_role("link", name="R-03", exact=True).click()
    look(page, "participant")
    visit = protocol.visit(trial.day_zero_visit.id)
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(f"^{escaped(visit.name)}")))
    row.get_by_role("link", name=protocol.form(form.id).name).first.click()
    fill_form(page, trial, form.id, trial.values(form, clock.today), language)
    look(page, "assessment-entry")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_role("heading", level=3, name=_starting(
        t.pattern("Version %(version)s", version=1)))).to_be_visible()
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
        browser, server, shot, trial, make_actor, clock, language):
    t, protocol = words(language), shown(trial.protocol, language)
    team = make_team(trial, make_actor)
    _enrolled(trial, team, clock, "S-601")
    form = protocol.form(trial.forms_of_kind("demographics")[0].id)
    birth = next(i for i in form.items if i.maps_to is not None
                 and i.maps_to.to == "patient.birth_date")
    page = sign_in(browser, server, team.actor(trial.data_manager).name, language)
    open_participant(page, "S-601", language)
    open_history(page, protocol.visit(trial.screening_visit.id).name, form.name, language)
    page.get_by_label(t("Item"), exact=True).select_option(label=birth.label)
    page.get_by_label(t("Question to the site")).fill("Date of birth differs from the ID card; "
                                                      "please check the source.")
    shot(page, "raise")
    page.get_by_role("button", name=t("Raise query")).click()
    on_form = t.pattern("Query on %(form)s", form=form.name).pattern
    status = escaped(t("open", context="query status"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^{on_form} · {escaped(birth.label)} {status}$"))
    query_url = page.url
    shot(page, "raised")

    site = sign_in(browser, server, team.coordinator.name, language)
    site.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Queries")).click()
    row = site.get_by_role("row").filter(has_text="Date of birth differs")
    expect(row).to_contain_text("S-601")
    expect(row).to_contain_text(t("open", context="query status"))
    shot(site, "site-inbox")
    row.get_by_role("link", name=re.compile("Date of birth differs")).click()
    site.get_by_label(t("Answer", context="noun")).fill(
        "Checked against the ID card: the entry is correct.")
    site.get_by_role("button", name=t("Answer", context="verb")).click()
    expect(site.get_by_role("heading", level=1)).to_contain_text(
        t("answered", context="query status"))
    expect(site.get_by_role("listitem").filter(has_text="Checked against the ID card")
           ).to_contain_text(f"({protocol.role(trial.screener).name})")
    shot(site, "answered")

    page.goto(query_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        t("answered", context="query status"))
    page.get_by_label(t("Closing note")).fill("Answer accepted.")
    page.get_by_role("button", name=t("Close"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        t("closed", context="query status"))
    expect(page.get_by_role("button", name=t("Close"), exact=True)).to_have_count(0)
    shot(page, "closed")


def test_an_investigator_signs_a_form_and_an_edit_with_a_reason_voids_the_signature(
        browser, server, shot, trial, make_actor, clock, language):
    from trialkit.web.trial.actions.forms import do_save_form

    t, protocol = words(language), shown(trial.protocol, language)
    team = make_team(trial, make_actor)
    participant = _enrolled(trial, team, clock, "S-701")
    form, first = signed_form(trial)
    visit = next((v for v in trial.visits_collecting(form) if v != trial.screening_visit.id),
                 first)
    number = next(i for i in form.items if i.type in ("integer", "decimal")
                  and i.required and i.derived is None)
    values = trial.values(form, clock.today)
    do_save_form(participant, form.id, visit, values, actor=team.entering(form.id))
    page = sign_in(browser, server, team.investigator.name, language)
    open_participant(page, "S-701", language)
    open_history(page, protocol.visit(visit).name, protocol.form(form.id).name, language)
    expect(page.get_by_text(t.pattern(
        "This form needs a signature (%(signers)s) on its latest version (version %(version)s).",
        version=1))).to_be_visible()
    page.get_by_label(t("Meaning of the signature")).fill("Reviewed against the source")
    page.get_by_label(t("Your password (re-entered)")).fill(PASSWORD)
    shot(page, "sign")
    page.get_by_role("button", name=t("Sign version %(version)s", version=1)).click()
    expect(page.locator(".messages")).to_have_text(t("Signed."))
    valid = page.get_by_role("listitem").filter(has_text=t("Valid:"))
    printed = team.investigator.user.profile.printed_name
    role_name = protocol.role(trial.investigator).name
    expect(valid).to_contain_text(t.pattern(
        "%(person)s (%(role)s), version %(version)s, %(moment)s — “%(meaning)s”",
        person=printed, role=role_name, version=1, meaning="Reviewed against the source"))
    history_url = page.url
    shot(page, "signed")

    site = sign_in(browser, server, team.entering(form.id).name, language)
    site.goto(history_url)
    site.get_by_role("link", name=t("Edit (new version)")).click()
    site.get_by_label(label(protocol.form(form.id).item(number.id).label, language)).fill(
        str(values[number.id] + 1))
    site.get_by_label(t("Reason for change (required)")).fill("Transcription error: worksheet "
                                                              "says otherwise")
    shot(site, "edit-with-reason")
    site.get_by_role("button", name=t("Save"), exact=True).click()

    page.reload()
    expect(page.get_by_role("listitem").filter(has_text=t("Valid:"))).to_have_count(0)
    void = t.pattern("Void (a later version replaced it): %(person)s, version %(version)s, "
                     "%(moment)s", person=printed, version=1)
    expect(page.get_by_role("listitem").filter(has_text=void)).to_have_count(1)
    expect(page.get_by_text(t("Reason for change: %(reason)s",
                              reason="Transcription error: worksheet says otherwise"))
           ).to_be_visible()
    expect(page.get_by_role("button", name=t("Sign version %(version)s", version=2))
           ).to_be_visible()
    shot(page, "signature-void")
