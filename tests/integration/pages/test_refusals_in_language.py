"""An action's refusal is worded in the reader's language on a page, and in the protocol's own
(English) in the API and the audit trail, for the same refusal (ActionError templates).

Before, every refusal was an English sentence fixed when the action raised it, so a Chinese
page showed English refusals between Chinese words."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import DAY, START
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.actions.kernel import CONSENT_FIRST
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.models import AuditEvent, FormRecord

pytestmark = pytest.mark.protocols()


def _words(language: str) -> str:
    """The consent guard's refusal up to the first value it names, in ``language``."""
    with translation.override(language):
        return str(CONSENT_FIRST).split("%(")[0]


def test_a_refusal_reads_in_chinese_on_a_page_and_in_english_in_the_api(trial, team, clock):
    clock.set(START - 7 * DAY)
    participant = do_register_candidate("L-001", trial.site, actor=team.coordinator)
    form = next(trial.form(f) for f in trial.screening_visit.forms
                if trial.form(f).kind != "consent")
    enterer = team.entering(form.id)
    chinese, english = _words("zh-hant"), _words("en")
    assert chinese != english, "the catalogue translates the consent guard's refusal"

    client = signed_in(enterer.name, PASSWORD)
    client.cookies["trialkit_language"] = "zh-hant"
    entry = reverse("pages:form_entry", args=[participant.pk, trial.screening_visit.id, form.id])
    page = text_of(client.get(entry).content)
    assert chinese.lower() in page and english.lower() not in page

    answer = client.post(f"/api/participants/{participant.pk}/forms", {
        "form_id": form.id, "visit_id": trial.screening_visit.id,
        "data": trial.values(form, clock.today)}, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith(english)
    assert chinese not in str(answer.json())
    refusal = AuditEvent.objects.filter(action="action_refused").order_by("-sequence").first()
    assert refusal is not None and refusal.new["message"].startswith(english)
    assert not FormRecord.objects.filter(participant=participant).exists()


def test_a_refusal_met_on_a_chinese_page_is_audited_in_the_protocols_words(trial, team, clock):
    from trialkit.web.trial.actions.base import StateConflictError
    from trialkit.web.trial.actions.forms import do_save_form

    clock.set(START - 7 * DAY)
    participant = do_register_candidate("L-002", trial.site, actor=team.coordinator)
    form = next(trial.form(f) for f in trial.screening_visit.forms
                if trial.form(f).kind != "consent")
    with translation.override("zh-hant"), pytest.raises(StateConflictError) as refused:
        do_save_form(participant, form.id, trial.screening_visit.id,
                     trial.values(form, clock.today), actor=team.entering(form.id))
    with translation.override("zh-hant"):
        assert refused.value.message.startswith(_words("zh-hant"))
    event = AuditEvent.objects.filter(action="action_refused").order_by("-sequence").first()
    assert event is not None and event.new["message"].startswith(_words("en"))


def test_a_form_the_role_does_not_read_is_refused_in_the_readers_language(trial, team, clock):
    # "role ... does not read form ..." was an English f-string on every page.
    from trialkit.core.protocol.reading import reads
    from trialkit.web.trial.actions.forms import why_not_read

    role, form = next((r, f) for r in trial.protocol.roles if r.site_scoped
                      for f in trial.protocol.forms
                      if not reads(r, f) and trial.visits_collecting(f) and f.kind != "consent")
    clock.set(START - 7 * DAY)
    participant = do_register_candidate("L-003", trial.site, actor=team.coordinator)
    reader = team.actor(role.id)
    refusal = why_not_read(reader, form)
    with translation.override("zh-hant"):
        chinese = str(refusal)
    with translation.override("en"):
        english = str(refusal)
    assert chinese != english

    client = signed_in(reader.name, PASSWORD)
    client.cookies["trialkit_language"] = "zh-hant"
    page = client.get(reverse("pages:form_entry", args=[
        participant.pk, trial.visits_collecting(form)[0], form.id]))
    assert page.status_code == 403
    assert chinese.lower() in text_of(page.content)
    assert english.lower() not in text_of(page.content)
