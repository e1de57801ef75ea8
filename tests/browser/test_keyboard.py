"""The keyboard alone: Tab reaches every control of the sign-in and form-entry pages in order,
and the skip link moves focus to the main content."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import VIEWPORT, second_factor
from tests.integration.capture_support import consented
from tests.integration.conftest import PASSWORD
from trialkit.web.trial.actions.participants import do_register_candidate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The entry form's controls in document order, one per radio group, as _tab_stops names them.
FORM_CONTROLS = """form => [...form.elements]
    .filter(e => e.type !== 'hidden' && e.tagName !== 'FIELDSET' && !e.closest('[hidden]'))
    .filter((e, i, all) => e.type !== 'radio' || all.findIndex(o => o.name === e.name) === i)
    .map(e => e.type === 'radio' ? e.name
         : e.tagName === 'BUTTON' ? 'button:' + e.textContent.trim() : e.id)"""
FOCUSED = """() => { const e = document.activeElement;
    return e.type === 'radio' ? e.name
         : e.tagName === 'BUTTON' ? 'button:' + e.textContent.trim()
         : (e.id || e.tagName + ':' + e.textContent.trim().slice(0, 40)); }"""


def test_the_keyboard_reaches_every_control_of_sign_in_and_form_entry_and_the_skip_link_works(
        browser, server, shot, trial, make_actor):
    coordinator = make_actor(trial.screener)
    participant = consented(do_register_candidate("S-801", trial.site, actor=coordinator),
                            coordinator)
    form = trial.forms_of_kind("demographics")[0]
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
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0, "the focused skip link is on screen"
    shot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert _tab_stops(page, 1) == ["username"]
    page.keyboard.type(coordinator.name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    second_factor(page, coordinator.name)  # where the role needs one
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"/participants/{participant.pk}/forms/{trial.visits_collecting(form)[0]}/"
              f"{form.id}/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    controls = page.locator("#entry-form").evaluate(FORM_CONTROLS)
    # One per item asked of a blank form (a conditional one waits for its answer), then Save
    # and, when the visit has a next form, "Save and go to" it.
    entered = [i for i in form.items if i.derived is None and i.asked_when is None]
    buttons = [c for c in controls if c.startswith("button:")]
    assert buttons[0] == "button:Save" and len(buttons) in (1, 2), controls
    assert len(controls) == len(entered) + len(buttons), controls
    # A date control takes a Tab stop per part (month, day, year): count each control once.
    pressed = _tab_stops(page, len(controls) + 6)
    stops = [s for i, s in enumerate(pressed) if i == 0 or s != pressed[i - 1]]
    shot(page, "form-entry-after-the-controls")
    assert stops[0].startswith("A:"), "the link back to the participant comes first"
    assert stops[1:len(controls) + 1] == controls, "then the form's controls, in order"


def _tab_stops(page: Page, count: int) -> list[str]:
    """What Tab focuses, ``count`` times: a radio group by its name, a button by its text."""
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    return stops
