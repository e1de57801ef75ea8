"""Notifications, on every protocol: a serious adverse event or an emergency unblinding tells
the roles the protocol names at the participant's site (and study-wide), in an inbox page and
by e-mail once the action commits; people of those roles at another site are not told."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.integration.capture_support import adverse_event
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.notifications import notifications_for
from trialkit.web.trial.models import Site

pytestmark = pytest.mark.protocols()


def _told(trial) -> list:
    return [r for r in trial.protocol.roles if "serious_adverse_event" in r.notified_of]


def _person(make_actor, role, site: str, name: str):
    actor = make_actor(role.id, site=site, username=name)
    actor.user.email = f"{name}@example.org"
    actor.user.save(update_fields=["email"])
    return actor


def test_a_serious_event_reaches_the_inbox_and_the_mail_of_its_sites_people_only(
        trial, participant, make_actor, django_capture_on_commit_callbacks):
    Site.objects.create(code="ELSEWHERE", name="Another hospital", country="Nowhere",
                        status="RECRUITING")
    told = _told(trial)
    scoped = next((r for r in told if r.site_scoped), None)
    here = [_person(make_actor, r, trial.site, f"{r.id}-here".replace("_", "-")) for r in told]
    there = (_person(make_actor, scoped, "ELSEWHERE", "told-elsewhere")
             if scoped is not None else None)
    reporter = make_actor(trial.entry_role(trial.adverse_event_form), username="ae-reporter")
    with django_capture_on_commit_callbacks(execute=True):
        do_save_form(participant, trial.adverse_event_form.id, "",
                     adverse_event(trial, term="Meningitis", serious=True), actor=reporter)
    sent = {address for message in mail.outbox for address in message.to}
    assert sent == {a.user.email for a in here}
    assert all(len(m.to) == 1 and "Serious adverse event" in m.subject for m in mail.outbox)
    for actor in here:
        assert notifications_for(actor).filter(subject__contains=participant.screening_number)
        page = signed_in(actor.name, PASSWORD).get(reverse("pages:notifications"))
        assert page.status_code == 200
        assert participant.screening_number.lower() in text_of(page.content)
    if there is not None:
        assert not notifications_for(there).exists()
        page = signed_in(there.name, PASSWORD).get(reverse("pages:notifications"))
        assert participant.screening_number.lower() not in text_of(page.content)


def test_a_role_told_of_nothing_has_no_inbox(trial, make_actor):
    quiet = next((r for r in trial.protocol.roles if not r.notified_of), None)
    assert quiet is not None, "every protocol has a role told of nothing"
    actor = make_actor(quiet.id, username="quiet")
    client = signed_in(actor.name, PASSWORD)
    assert client.get(reverse("pages:notifications")).status_code == 403
    assert b'href="/notifications/"' not in client.get(reverse("pages:dashboard")).content
