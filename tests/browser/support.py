"""Steps the browser journeys share: signing in, finding a participant and a form's history,
filling a protocol form by its labels, and looking for concealed facts in what a page shows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cache

from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.conftest import REFERENCE_PROTOCOL
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    Clock,
    Team,
    eligible_and_consented,
    last_it_day,
    run_phase1,
)
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.web.trial.actions.participants import do_enrol_participant
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_release_randomization_list,
)
from trialkit.web.trial.models import Participant

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


@cache
def protocol() -> Protocol:
    return load_protocol(REFERENCE_PROTOCOL)


def sign_in(browser: Browser, base: str, username: str) -> Page:
    """A fresh browser context (no cookies) signed in as ``username``, on the dashboard."""
    page = browser.new_context(viewport=VIEWPORT, base_url=base).new_page()
    page.set_default_timeout(15_000)
    # Irreversible steps ask window.confirm; the person in these journeys says yes.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def label(text: str) -> re.Pattern[str]:
    """An item's label exactly, with or without the "(required)" the page adds."""
    return re.compile(rf"^\s*{re.escape(text)}( \(required\))?\s*$")


def fill_form(page: Page, form_id: str, data: Mapping[str, object]) -> None:
    """Enter item values into the open entry form, finding every control by its label."""
    items = {i.id: i for i in protocol().form(form_id).items}
    for item_id, value in data.items():
        item = items[item_id]
        if item.type == "boolean":
            group = page.get_by_role("group", name=label(item.label))
            group.get_by_label("Yes" if value else "No", exact=True).check()
        elif item.type == "choice":
            page.get_by_label(label(item.label)).select_option(str(value))
        else:
            page.get_by_label(label(item.label)).fill(str(value))


def form_name(form_id: str) -> str:
    return protocol().form(form_id).name


def open_participant(page: Page, number: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Participants").click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Participant {number}")


def open_history(page: Page, name: str) -> None:
    """From the participant page: the screening instance of a form, then its history."""
    page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Screening")
                                   ).get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name="versions, audit trail and signatures").click()
    expect(page.get_by_role("heading", level=2, name="Signatures")).to_be_visible()


def concealed_terms_in(text: str) -> set[str]:
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
    return {t for t in terms
            if re.search(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])", seen)}


def phase1_done(team: Team, clock: Clock) -> list[Participant]:
    """The list live and Phase I dosed; the clock on the day the SMC review may first end."""
    clock.set(START - dt.timedelta(days=30))
    do_generate_randomization_list(20260101, actor=team.statistician)
    do_release_randomization_list(actor=team.statistician)
    phase1 = run_phase1(team, clock)
    clock.set(last_it_day(phase1) + dt.timedelta(days=28))
    return phase1


def enrolled_in_phase1(number: str, team: Team, clock: Clock) -> Participant:
    """Screened (forms saved a week before Day 0), consented and enrolled in Phase I."""
    participant = eligible_and_consented(number, team, clock, START)
    do_enrol_participant(participant, "phase1", actor=team.coordinator)
    return participant
