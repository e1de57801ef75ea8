"""Steps the browser journeys share, for any protocol: signing in, finding a participant and a
form's history, filling a protocol form by its labels, and looking for concealed facts in what
a page shows."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.accounts_support import current_code
from tests.integration.conftest import PASSWORD
from tests.protocol_cases import TrialCase, allocation_secrets, public_texts
from trialkit.core.protocol import Protocol
from trialkit.web.trial import clock, totp

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


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
    second_factor(page, username)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def second_factor(page: Page, username: str) -> None:
    """A role that needs a second factor: enrol at the first sign-in (the code computed from
    the secret the page shows, as an authenticator app would), or give the current code."""
    page.wait_for_load_state()
    if "/login/enrol/" in page.url:
        secret = page.locator("#totp-secret").inner_text()
        page.get_by_label("Code from the app").fill(
            totp.totp(totp.secret_bytes(secret), clock.now()))
        page.get_by_role("button", name="Confirm and sign in").click()
        page.get_by_role("link", name="Continue").click()
    elif "/login/code/" in page.url:
        page.get_by_label("Code").fill(current_code(User.objects.get(username=username)))
        page.get_by_role("button", name="Verify").click()


def escaped(text: str) -> str:
    """``re.escape`` that also escapes ``/``, which Playwright's selector syntax needs."""
    return re.escape(text).replace("/", "\\/")


def label(text: str) -> re.Pattern[str]:
    """An item's label exactly, with or without the "(required)" the page adds."""
    return re.compile(rf"^\s*{escaped(text)}( \(required\))?\s*$")


def fill_form(page: Page, trial: TrialCase, form_id: str, data: Mapping[str, object]) -> None:
    """Enter item values into the open entry form, finding every control by its label."""
    items = {i.id: i for i in trial.form(form_id).items}
    for item_id, value in data.items():
        item = items[item_id]
        if item.type == "boolean":
            group = page.get_by_role("group", name=label(item.label))
            group.get_by_label("Yes" if value else "No", exact=True).check()
        elif item.type == "choice":
            page.get_by_label(label(item.label)).select_option(str(value))
        elif item.type == "datetime":
            page.get_by_label(label(item.label)).fill(str(value)[:16])
        else:
            page.get_by_label(label(item.label)).fill(str(value))


def open_form(page: Page, visit: str, name: str) -> None:
    """From a list of forms by visit (screening or participant page): the form at the visit."""
    page.get_by_role("row").filter(has=page.get_by_role("cell", name=visit, exact=True)
                                   ).get_by_role("link", name=name, exact=True).first.click()


def open_participant(page: Page, number: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Participants").click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Participant {number}")


def open_history(page: Page, visit_name: str, name: str) -> None:
    """From the participant page: the instance of a form at a visit, then its history."""
    page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=visit_name)
                                   ).get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name="versions, audit trail and signatures").click()
    expect(page.get_by_role("heading", level=2, name="Signatures")).to_be_visible()


def concealed_terms_in(text: str, protocol: Protocol) -> set[str]:
    """Arm and sequence ids and labels, preparations and procedure types found in a page's
    visible text, after the public protocol text that names the design is removed."""
    terms = allocation_secrets(protocol) | {"real", "sham"}
    seen = re.sub(r"\s+", " ", text).lower()
    for known in public_texts(protocol):
        seen = seen.replace(known, " ")
    return {t for t in terms
            if re.search(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])", seen)}
