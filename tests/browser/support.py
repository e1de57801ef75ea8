"""Steps the browser journeys share: signing in, filling a protocol form by its labels, and
reading a page as a person sees it."""

from __future__ import annotations

import re
from collections.abc import Mapping

from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import REFERENCE_PROTOCOL
from tests.integration.conftest import PASSWORD
from trialkit.core.protocol import Protocol, load_protocol

VIEWPORT = {"width": 1280, "height": 900}


def protocol() -> Protocol:
    return load_protocol(REFERENCE_PROTOCOL)


def sign_in(browser: Browser, base: str, username: str, role: str | None = None) -> Page:
    """A fresh browser context (no cookies) signed in as ``username``, on the dashboard."""
    page = browser.new_context(viewport=VIEWPORT, base_url=base).new_page()
    page.set_default_timeout(15_000)
    # Irreversible steps ask window.confirm; the person in these journeys says yes.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if role is not None and page.url.endswith("/role/"):
        page.get_by_role("radio", name=re.compile(re.escape(role))).check()
        page.get_by_role("button", name="Continue").click()
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


def text(locator: Locator) -> str:
    """Visible text with runs of white space made one space."""
    return re.sub(r"\s+", " ", locator.inner_text())


def main_text(page: Page) -> str:
    return text(page.locator("main"))
