"""The investigator's signature worklist in a real browser: a visit's forms signed in one act.

The investigator used to open each form's page and re-enter the password once per form. Now
the worklist lists what awaits a signature, and one password signs a visit's forms, each with
a signature of its own bound to its version. Runs on every protocol in English, and in
Traditional Chinese on the protocols that carry Chinese words (tests/browser/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import escaped, shown, sign_in, words
from tests.integration.capture_support import DAY, consented, signed_form
from tests.integration.conftest import PASSWORD
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.models import Signature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.protocols()]


def test_an_investigator_signs_a_visits_forms_from_the_worklist_in_one_act(
        browser, server, shot, trial, make_actor, language):
    t = words(language)
    screener = make_actor(trial.screener)
    participant = consented(do_register_candidate("S-901", trial.site, actor=screener), screener)
    _, visit = signed_form(trial)
    forms = [f for f in trial.protocol.forms if f.signature_required and not f.repeating
             and visit in trial.visits_collecting(f)]
    for form in forms:
        enterer = make_actor(trial.entry_role(form), username=f"enterer-{form.id}".lower())
        do_save_form(participant, form.id, visit, trial.values(form, DAY), actor=enterer)
    investigator = make_actor(trial.investigator, username="signer")
    page = sign_in(browser, server, investigator.name, language)
    page.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("Signatures")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Forms to sign"))
    group = page.locator("section", has=page.get_by_role("heading", name=re.compile("S-901")))
    expect(group).to_be_visible()
    shot(page, "worklist")
    group.get_by_label(t("Your password (re-entered)")).first.fill(PASSWORD)
    # The visit's button: "Sign 3 forms of Day 0" (its count read back from the page).
    visit_name = shown(trial.protocol, language).visit(visit).name
    sign = {n: t.plural("Sign %(count)s form of %(visit)s", "Sign %(count)s forms of %(visit)s",
                        n, visit=visit_name) for n in range(1, 2 * len(forms) + 1)}
    button = group.get_by_role("button", name=re.compile(
        "^(" + "|".join(escaped(name) for name in sign.values()) + ")$")).first
    count = next(n for n, name in sign.items() if name == button.inner_text().strip())
    button.click()
    expect(page.get_by_role("status").first).to_contain_text(
        t("%(forms)s form(s) of %(participant)s signed.", forms=count, participant="S-901"))
    shot(page, "signed")
    signatures = Signature.objects.filter(version__record__participant=participant)
    assert signatures.count() == count  # one password, a signature per form
    assert all(s.version.number == s.version.record.latest_version and s.signer ==
               investigator.user and s.version.record.visit_id == visit for s in signatures)

