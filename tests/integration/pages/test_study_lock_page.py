"""The study lock page, on every protocol: mid-trial it shows why the study cannot be locked
and offers no button; once everyone has ended, one data manager requests, a second confirms by
typing the trial's id, each with their password."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from tests.accounts_support import PASSWORD, grant
from tests.integration.pages.support import client_for, signed_in, text_of
from trialkit.web.trial.actions.accounts import do_create_user
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.models import FormVersion, Participant, Query, Signature, Study

pytestmark = pytest.mark.protocols()


def _second_locker(trial, module_demo):
    """Another person holding the demo's lock role."""
    role = next(r.id for r in trial.protocol.roles if "lock_data" in r.can)
    admin_login = next(s for s in module_demo.sign_ins if s.role == trial.administrator)
    admin = actor_for(User.objects.get(username=admin_login.username), trial.administrator)
    user = do_create_user("second-locker", PASSWORD, "Second Locker", actor=admin)
    grant(user, role, None, admin=admin)
    return role, signed_in("second-locker", PASSWORD, role)


def _trial_over(trial) -> None:
    """Setup, straight in the tables (ending participants, closing queries and signing are
    tested with their actions): everyone has ended, every query is closed, every form that
    needs a signature is signed on its latest version."""
    Participant.objects.filter(status__in=["screening", "consented", "enrolled"]).update(
        status="withdrawn")
    Query.objects.update(status=Query.Status.CLOSED)
    signer = User.objects.first()
    needing = [f.id for f in trial.protocol.forms if f.signature_required]
    for version in FormVersion.objects.filter(record__form_id__in=needing,
                                              number=F("record__latest_version")):
        if not version.signatures.exists():
            Signature.objects.create(version=version, signer=signer, signer_role="setup",
                                     printed_name="Setup", meaning="setup",
                                     signed_at=timezone.now())


def test_mid_trial_the_page_says_why_and_offers_no_lock(trial, module_demo):
    role = next(r.id for r in trial.protocol.roles if "lock_data" in r.can)
    page = client_for(module_demo, role).get("/study/lock/")
    text = text_of(page.content)
    going = Participant.objects.filter(status__in=["screening", "consented", "enrolled"]).count()
    assert page.status_code == 200 and going > 0
    assert f"{going} participants are still in the trial" in text
    assert "request the study lock" not in text
    assert 'name="confirmation"' not in page.content.decode()
    posted = client_for(module_demo, role).post("/study/lock/request/",
                                                {"reason": "done", "password": "x"})
    assert posted.status_code == 302
    assert Study.objects.get(is_current=True).locked_at is None


def test_mid_trial_the_reasons_are_given_in_the_readers_language(trial, module_demo):
    # They were English f-strings ("participant(s)", form ids) on a Traditional Chinese page.
    from django.utils import translation
    from django.utils.translation import ngettext

    role = next(r.id for r in trial.protocol.roles if "lock_data" in r.can)
    client = client_for(module_demo, role)
    client.cookies["trialkit_language"] = "zh-hant"
    text = text_of(client.get("/study/lock/").content)
    going = Participant.objects.filter(status__in=["screening", "consented", "enrolled"]).count()
    with translation.override("zh-hant"):
        said = ngettext("%(count)s participant is still in the trial (not completed, withdrawn "
                        "or otherwise ended)", "%(count)s participants are still in the trial "
                        "(not completed, withdrawn or otherwise ended)", going) % {"count": going}
    assert "still in the trial" not in said
    assert said.lower() in text and "still in the trial" not in text


def test_two_people_lock_the_study_from_the_page_once_everyone_has_ended(trial, module_demo):
    _trial_over(trial)
    role, second = _second_locker(trial, module_demo)
    first = client_for(module_demo, role)
    blockers = text_of(first.get("/study/lock/").content)
    assert "cannot be locked yet" not in blockers, blockers[blockers.index("cannot be"):]
    first.post("/study/lock/request/", {"reason": "Last visit done; data clean",
                                        "password": next(s.password for s in
                                                         module_demo.sign_ins
                                                         if s.role == role)})
    own = first.get("/study/lock/").content.decode()
    assert "a different person confirms it" in own and 'name="confirmation"' not in own
    form = second.get("/study/lock/").content.decode()
    trial_id = trial.protocol.identity.id
    assert 'name="confirmation"' in form and trial_id in form
    second.post("/study/lock/confirm/", {"confirmation": "yes", "password": PASSWORD})
    assert Study.objects.get(is_current=True).locked_at is None
    assert "confirmation: type the trial" in text_of(second.get("/study/lock/").content)
    second.post("/study/lock/confirm/", {"confirmation": trial_id, "password": PASSWORD})
    assert Study.objects.get(is_current=True).locked_at is not None
    assert "the lock is final" in text_of(second.get("/study/lock/").content)
