"""Signatures at scale, on every protocol: the investigator's worklist lists the saved forms
that await a signature, signs a visit's (or a whole casebook's) in one act with one password
re-entry and a signature per form, and a casebook with unsigned forms cannot be completed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.integration.capture_support import DAY, consented, signed_form
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.models import AuditEvent, FormRecord, Participant, Signature
from trialkit.web.trial.signatures import unsigned_in_casebook

pytestmark = pytest.mark.protocols()


def _fields(values: dict[str, object]) -> dict[str, str]:
    return {f"item-{k}": ("true" if v is True else "false" if v is False else str(v))
            for k, v in values.items()}


def _saved_unsigned(trial, make_actor, number: str) -> tuple[Participant, list[FormRecord]]:
    """A candidate with every signature-required form of one visit saved and none signed."""
    screener = make_actor(trial.screener)
    participant = consented(do_register_candidate(number, trial.site, actor=screener), screener)
    _, visit = signed_form(trial)
    forms = [f for f in trial.protocol.forms if f.signature_required and not f.repeating
             and visit in trial.visits_collecting(f)]
    for each in forms:
        enterer = make_actor(trial.entry_role(each), username=f"enterer-{each.id}".lower())
        saved = signed_in(enterer.name, PASSWORD).post(
            reverse("pages:form_entry", args=[participant.pk, visit, each.id]),
            _fields(trial.values(each, DAY)))
        assert saved.status_code == 302, text_of(saved.content)
    return participant, list(FormRecord.objects.filter(participant=participant, visit_id=visit,
                                                       form_id__in=[f.id for f in forms]))


def test_the_worklist_signs_a_visits_forms_in_one_act_each_with_its_own_signature(
        trial, make_actor):
    # The investigator had 66 forms awaiting signature, each signed on its own page with its
    # own password entry.
    participant, records = _saved_unsigned(trial, make_actor, "S-301")
    investigator = make_actor(trial.investigator, username="signer")
    client = signed_in(investigator.name, PASSWORD)
    worklist = client.get(reverse("pages:signatures"))
    assert worklist.status_code == 200
    page = text_of(worklist.content)
    assert "s-301" in page and f"sign {len(records)} form" in page
    visit = records[0].visit_id
    url = reverse("pages:sign_group", args=[participant.pk, visit])
    wrong = client.post(url, {"password": "nope", "meaning": "Reviewed"}, follow=True)
    assert "password: the password is not correct" in text_of(wrong.content)
    assert not Signature.objects.filter(version__record__participant=participant).exists()
    signed = client.post(url, {"password": PASSWORD, "meaning": "Reviewed and approved"},
                         follow=True)
    assert f"{len(records)} form(s) of s-301 signed" in text_of(signed.content)
    for record in records:
        signature = Signature.objects.get(version__record=record)
        assert signature.version.number == record.latest_version
        assert (signature.signer, signature.meaning) == (investigator.user,
                                                          "Reviewed and approved")
    events = [e.action for e in AuditEvent.objects.filter(actor=investigator.name)]
    assert events.count("sign_form") == len(records) and events.count("sign_casebook") == 1
    assert "no form at your sites awaits" in text_of(client.get(
        reverse("pages:signatures")).content)


def test_a_role_that_does_not_sign_has_no_worklist(trial, make_actor):
    role = next(r.id for r in trial.protocol.roles if "sign" not in r.can)
    client = signed_in(make_actor(role, username="no-signer").name, PASSWORD)
    assert client.get(reverse("pages:signatures")).status_code == 403


def test_a_casebook_with_a_form_awaiting_its_signature_is_unsigned_until_signed(
        trial, make_actor):
    participant, records = _saved_unsigned(trial, make_actor, "S-302")
    assert {r.pk for r in unsigned_in_casebook(trial.protocol, participant)} == {
        r.pk for r in records}
    investigator = make_actor(trial.investigator, username="signer")
    signed_in(investigator.name, PASSWORD).post(
        reverse("pages:sign_group", args=[participant.pk, "all"]),
        {"password": PASSWORD, "meaning": "Casebook reviewed"})
    assert unsigned_in_casebook(trial.protocol, participant) == []
