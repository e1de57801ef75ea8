"""Leaving an eCRF with typed, unsaved entries asks first; saving does not.

People typing a form from a source document lost what they had typed by following a link
(the issue's "no unsaved-changes warning"). The entry form now makes the browser ask before the
page is left once something was typed and not submitted; a page left untouched, and the save
itself, do not ask. Runs on every protocol, in English and, where the protocol carries Chinese
words, in Traditional Chinese (tests/browser/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.support import fill_form, label, shown, sign_in, words
from tests.integration.capture_support import measured
from tests.integration.journey_support import START, Clock, eligible_and_consented, make_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.protocols()]


def test_leaving_a_form_with_unsaved_entries_asks_first_and_saving_does_not(
        browser, server, shot, trial, make_actor, monkeypatch, language):
    t = words(language)
    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    participant = eligible_and_consented("S-811", team, clock, START)
    target = measured(trial)
    url = reverse("pages:form_entry", args=[participant.pk, target.visit, target.form.id])
    page = sign_in(browser, server, team.actor(trial.entry_role(target.form)).name, language)
    asked: list[str] = []

    def answer(dialog) -> None:
        # Leave when asked: Chromium under automation does not reliably cancel a navigation
        # when the question is dismissed (microsoft/playwright#21715, #14431); that the
        # browser asks is what the page decides.
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    elsewhere = page.get_by_role("navigation", name=t("Main")).get_by_role("link").first

    page.goto(url)
    elsewhere.click()  # nothing typed: leaving does not ask
    expect(page).not_to_have_url(re.compile(re.escape(url) + "$"))
    assert asked == []

    page.goto(url)
    item = shown(trial.protocol, language).form(target.form.id).item(target.item.id)
    field = page.get_by_label(label(item.label, language))
    field.click()
    field.press_sequentially("1")  # typed as a person types: the page saw the keys
    shot(page, "typed-not-saved")
    elsewhere.click()
    expect(page).not_to_have_url(re.compile(re.escape(url) + "$"))
    assert asked == ["beforeunload"]

    page.goto(url)
    fill_form(page, trial, target.form.id, target.values(trial, clock.today), language)
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_role("heading", level=3, name=re.compile(
        "^" + t.pattern("Version %(version)s", version=1).pattern))).to_be_visible()
    assert asked == ["beforeunload"]  # the save itself did not ask
