"""Adverse-event coding on the pages, on every protocol's demo: the coder's worklist with the
dictionary's suggestions (the invented fixture in MedDRA's layout), a term chosen and the
coded PT and SOC shown on the event's page, the exact-match autocoder; only roles with
``code_terms`` open it, and it shows no allocation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.conftest import FIXTURES
from tests.integration.pages.support import client_for, text_of
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.coding import do_load_dictionary
from trialkit.web.trial.coding import awaiting
from trialkit.web.trial.models import AdverseEventCoding, AuditEvent, DictionaryTerm

pytestmark = pytest.mark.protocols()


def _actor(demo, role: str):
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


def _coder(trial) -> str:
    return next(r.id for r in trial.protocol.roles if "code_terms" in r.can)


def _load(trial, demo) -> None:
    admin = next(r.id for r in trial.protocol.roles if "manage_users" in r.can)
    do_load_dictionary(FIXTURES / "meddra", actor=_actor(demo, admin))


def test_only_roles_that_code_terms_have_the_worklist_and_its_link(trial, module_demo):
    for role in trial.protocol.roles:
        client = client_for(module_demo, role.id)
        nav = client.get(reverse("pages:dashboard")).content.decode()
        page = client.get(reverse("pages:coding"))
        if "code_terms" in role.can:
            assert 'href="/coding/"' in nav and page.status_code == 200, role.id
        else:
            assert 'href="/coding/"' not in nav and page.status_code == 403, role.id


def test_without_a_dictionary_the_worklist_says_how_to_load_one(trial, module_demo):
    page = client_for(module_demo, _coder(trial)).get(reverse("pages:coding"))
    assert "no dictionary is loaded yet" in text_of(page.content)
    assert "trialkit coding load" in text_of(page.content)


def test_the_coder_picks_a_suggested_term_and_the_event_page_shows_its_pt_and_soc(
        trial, module_demo):
    _load(trial, module_demo)
    coder = _actor(module_demo, _coder(trial))
    waiting = awaiting(coder)
    assert waiting, "the demo has adverse events"
    client = client_for(module_demo, coder.role)
    page = client.get(reverse("pages:coding"))
    text = text_of(page.content)
    assert f"{len(waiting)} adverse event" in text and "coding to meddra 99.0" in text
    listed = {int(pk) for pk in re.findall(rb'action="/coding/(\d+)/"', page.content)}
    # Each event is listed; those with a suggestion offer a choice.
    assert listed <= {w.record.pk for w in waiting}
    for w in waiting:
        assert w.verbatim.lower() in text
    # Look up words for the first event, choose the first offered term.
    event = waiting[0]
    looked = client.get(reverse("pages:coding"), {f"look-{event.record.pk}": "head ache"})
    assert "head ache → headache (nervous system disorders) (exact match)" in text_of(
        looked.content)
    code = DictionaryTerm.objects.get(llt_name="Head ache").llt_code
    answer = client.post(reverse("pages:code_event", args=[event.record.pk]),
                         {"llt_code": code})
    assert answer.status_code == 302
    assert AdverseEventCoding.objects.get(record=event.record).term.pt_name == "Headache"
    assert "coded to head ache → headache" in text_of(client.get(answer["Location"]).content)
    history = text_of(client.get(reverse("pages:form_history",
                                         args=[event.record.pk])).content)
    assert "preferred term headache" in history
    assert "primary system organ class nervous system disorders" in history
    assert event.record.pk not in {w.record.pk for w in awaiting(coder)}


def test_a_refused_choice_is_explained_and_nothing_is_coded(trial, module_demo):
    _load(trial, module_demo)
    coder = _actor(module_demo, _coder(trial))
    event = awaiting(coder)[0]
    client = client_for(module_demo, coder.role)
    answer = client.post(reverse("pages:code_event", args=[event.record.pk]),
                         {"llt_code": "94000011"})  # "Febrile": not current
    assert "llt code: '94000011' is not a current term" in text_of(
        client.get(answer["Location"]).content)
    assert not AdverseEventCoding.objects.exists()


def test_the_autocoder_codes_the_exact_matches_in_one_audited_act(trial, module_demo):
    _load(trial, module_demo)
    coder = _actor(module_demo, _coder(trial))
    exact = {w.record.pk for w in awaiting(coder) if DictionaryTerm.objects.filter(
        normalised=" ".join(re.sub(r"[^\w]+", " ", w.verbatim.casefold()).split()),
        current=True).exists()}
    client = client_for(module_demo, coder.role)
    answer = client.post(reverse("pages:autocode"))
    assert answer.status_code == 302
    assert set(AdverseEventCoding.objects.values_list("record_id", flat=True)) == exact
    if exact:
        [event] = AuditEvent.objects.filter(action="autocode_adverse_events")
        assert len(event.new["coded"]) == len(exact)
    else:
        assert "matches a current term exactly" in text_of(
            client.get(answer["Location"]).content)


def test_the_coding_pages_name_no_arm(trial, module_demo):
    _load(trial, module_demo)
    arms = {arm.label.lower() for arm in trial.protocol.design.arms}
    client = client_for(module_demo, _coder(trial))
    coder = _actor(module_demo, _coder(trial))
    pages = [reverse("pages:coding")] + [reverse("pages:form_history", args=[w.record.pk])
                                         for w in awaiting(coder)]
    for url in pages:
        text = text_of(client.get(url).content)
        assert not [a for a in arms if a in text], url
