"""Form entry with edit checks inline, reason for change, versions, audit trail, sign-off."""

from __future__ import annotations

from django.urls import reverse

from tests.integration.capture_support import FS_ITEMS
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.models import FormRecord, Query, Signature


def _edss(day: str, rater: str, pyramidal: str = "3") -> dict[str, str]:
    fields = {f"item-{item}": "0" for item in FS_ITEMS}
    fields.update({"item-assessment_date": day, "item-fs_pyramidal": pyramidal,
                   "item-edss": rater})
    return fields


def test_a_hard_error_is_shown_at_its_item_and_nothing_is_saved(make_actor):
    coordinator = make_actor("coordinator")
    participant = do_register_candidate("S-200", "CMUH", actor=coordinator)
    client = signed_in(coordinator.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, "SCR", "EDSS"])
    response = client.post(url, _edss("2025-03-10", "3.0", pyramidal="9"))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="err-fs_pyramidal"' in page and "must be at most 6" in page
    assert 'aria-invalid="true"' in page
    assert not FormRecord.objects.filter(participant=participant).exists()


def test_an_edit_needs_a_reason_and_the_history_shows_versions_trail_and_queries(make_actor):
    coordinator = make_actor("coordinator")
    participant = do_register_candidate("S-201", "CMUH", actor=coordinator)
    client = signed_in(coordinator.name, PASSWORD)
    url = reverse("pages:form_entry", args=[participant.pk, "SCR", "EDSS"])
    saved = client.post(url, _edss("2025-03-10", "5.0"))
    record = FormRecord.objects.get(participant=participant, form_id="EDSS")
    assert saved["Location"] == reverse("pages:form_history", args=[record.pk])
    assert Query.objects.filter(record=record, automatic=True, status="open").exists()

    no_reason = client.post(url, _edss("2025-03-10", "3.0"))
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.content.decode()
    client.post(url, {**_edss("2025-03-10", "3.0"), "reason": "Transcription error"})
    record.refresh_from_db()
    assert record.latest_version == 2
    assert Query.objects.get(record=record, automatic=True).status == "closed"
    history = text_of(client.get(reverse("pages:form_history", args=[record.pk])).content)
    assert "version 2" in history and "reason for change: transcription error" in history
    assert "5.0 → 3.0" in history
    # People read the protocol's labels, not item ids: in the trail, the queries and findings.
    assert "edss (rater) 2 5.0 → 3.0" in history
    query = Query.objects.get(record=record, automatic=True)
    page = text_of(client.get(reverse("pages:query", args=[query.pk])).content)
    assert "query on edss assessment (blinded rater) · edss (rater)" in page


def test_the_investigator_signs_the_latest_version_with_the_password(make_actor):
    coordinator = make_actor("coordinator")
    investigator = make_actor("investigator")
    participant = do_register_candidate("S-202", "CMUH", actor=coordinator)
    signed_in(coordinator.name, PASSWORD).post(
        reverse("pages:form_entry", args=[participant.pk, "SCR", "EDSS"]),
        _edss("2025-03-10", "3.0"))
    record = FormRecord.objects.get(participant=participant, form_id="EDSS")
    client = signed_in(investigator.name, PASSWORD)
    sign = reverse("pages:sign_form", args=[record.pk])
    wrong = client.post(sign, {"password": "nope", "meaning": "Reviewed"}, follow=True)
    assert "password: the password is not correct" in text_of(wrong.content)
    client.post(sign, {"password": PASSWORD, "meaning": "Reviewed and approved"})
    signature = Signature.objects.get(version__record=record)
    history = client.get(reverse("pages:form_history", args=[record.pk])).content.decode()
    assert signature.printed_name in history and "Valid:" in history


def test_the_blinded_rater_may_enter_an_assessment_but_not_a_dose(make_actor):
    coordinator = make_actor("coordinator")
    rater = make_actor("edss_rater")
    participant = do_register_candidate("S-203", "CMUH", actor=coordinator)
    client = signed_in(rater.name, PASSWORD)
    edss = client.get(reverse("pages:form_entry", args=[participant.pk, "D0", "EDSS"]))
    dose = client.get(reverse("pages:form_entry", args=[participant.pk, "D0", "DOSE"]))
    assert '<form method="post" novalidate id="entry-form">' in edss.content.decode()
    assert "Your role may not enter this form" in dose.content.decode()
