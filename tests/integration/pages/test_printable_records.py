"""Printable records, on every protocol: a participant's casebook (every form the reader reads,
each version, signature and change, and the participant's audit trail), the randomization
confirmation a site files, and the audit trail as a spreadsheet file."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.integration.pages.support import client_for, text_of
from trialkit.core.hygiene.cells import needs_quote
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.actions.queries import do_raise_query
from trialkit.web.trial.lookups import visible_participants
from trialkit.web.trial.models import AuditEvent, FormRecord, Participant, Signature

pytestmark = pytest.mark.protocols()
STATIC = Path(__file__).parents[3] / "src/trialkit/web/pages/static/pages"


def _actor(demo, role: str):
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


def _words(text: str) -> str:
    return " ".join(text.lower().split())


def test_the_casebook_holds_every_readable_form_its_versions_signatures_and_audit_trail(
        trial, module_demo):
    role = trial.investigator
    actor = _actor(module_demo, role)
    signed = Signature.objects.filter(
        version__record__participant__in=visible_participants(actor)).select_related(
        "version__record__participant").first()
    assert signed is not None, "the demo signs forms at the investigator's site"
    participant = signed.version.record.participant
    response = client_for(module_demo, role).get(reverse("pages:casebook", args=[participant.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _words(text_of(response.content))
    assert f"participant {participant.screening_number.lower()}" in text
    records = readable(actor, FormRecord.objects.filter(participant=participant))
    for record in records:
        assert trial.protocol.form(record.form_id).name.lower() in text, record.form_id
    assert signed.printed_name.lower() in text
    assert "saved a form" in text and "audit trail" in text
    unread = {trial.protocol.form(r.form_id).name.lower() for r in FormRecord.objects.filter(
        participant=participant).exclude(pk__in=records.values("pk"))}
    assert not {name for name in unread if f"{name} ·" in text}


def test_the_randomization_confirmation_names_number_kit_and_time_never_the_arm(
        trial, module_demo):
    role = trial.investigator
    actor = _actor(module_demo, role)
    client = client_for(module_demo, role)
    randomized = visible_participants(actor).filter(slot__isnull=False).select_related(
        "slot").first()
    waiting = visible_participants(actor).filter(slot__isnull=True).first()
    if waiting is not None:
        missing = client.get(reverse("pages:randomization_confirmation", args=[waiting.pk]))
        assert missing.status_code == 404
    if randomized is None:
        pytest.skip("no participant randomized at the investigator's site in this demo")
    response = client.get(reverse("pages:randomization_confirmation", args=[randomized.pk]))
    assert response.status_code == 200
    text = _words(text_of(response.content))
    slot = randomized.slot
    assert slot.number.lower() in text and slot.kit_code.lower() in text
    assert "randomized at:" in text and "randomized by:" in text
    assert "stratification at randomization:" in text
    assert "the treatment allocated is not printed" in text
    for arm in trial.protocol.design.arms:
        assert f"arm: {arm.label.lower()}" not in text


def test_the_audit_trail_export_is_every_selected_event_in_words_with_safe_cells(
        trial, module_demo):
    reader = next(r.id for r in trial.protocol.roles if "view_audit" in r.can)
    raiser = next(r.id for r in trial.protocol.roles if "raise_query" in r.can
                  and r.id in {s.role for s in module_demo.sign_ins})
    raising = _actor(module_demo, raiser)
    record = readable(raising, FormRecord.objects.filter(
        participant__in=visible_participants(raising))).first()
    do_raise_query(record, "", "=HYPERLINK(\"http://x\",\"see\")", actor=raising)
    client = client_for(module_demo, reader)
    response = client.get(reverse("pages:audit_export"), {"action": "raise_query"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == AuditEvent.objects.filter(action="raise_query").count()
    assert {r["action"] for r in rows} == {"Raised a query"}
    assert [r["sequence"] for r in rows] == sorted((r["sequence"] for r in rows), key=int)
    assert any('text: =HYPERLINK("http://x","see")' in r["new"] for r in rows)
    assert not any(needs_quote(cell) for r in rows for cell in r.values())
    export = AuditEvent.objects.filter(action="export_data").order_by("-sequence").first()
    assert export.new["export"] == "audit trail" and export.new["rows"] == len(rows)
    assert Participant.objects.exists()


def test_the_export_is_refused_to_roles_that_do_not_view_the_audit_trail(trial, module_demo):
    signed = {s.role for s in module_demo.sign_ins}
    for role in trial.protocol.roles:
        if "view_audit" not in role.can and role.id in signed:
            response = client_for(module_demo, role.id).get(reverse("pages:audit_export"))
            assert response.status_code == 403, role.id


def test_a_printed_page_says_who_printed_it_when_and_from_which_protocol(trial, module_demo):
    client = client_for(module_demo, trial.investigator)
    for url in (reverse("pages:dashboard"), reverse("pages:participants")):
        printed = re.search(r'<p class="print-only">([^<]*)</p>',
                            client.get(url).content.decode())
        assert printed, url
        line = html.unescape(printed.group(1))
        assert line.startswith("Printed 20") and trial.protocol.identity.id in line
        assert "protocol " in line
    css = (STATIC / "trialkit.css").read_text()
    on_paper = css[css.index("@media print"):]
    assert "nav.main-nav" in on_paper and ".print-only { display: block; }" in on_paper
