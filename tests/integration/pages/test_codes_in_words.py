"""Pages name roles, permissions and unblinded information in words, never by their codes
(the administrators' page listed "edss_rater at CMUH", "enter_data, answer_query" and
"arm_summaries")."""

from __future__ import annotations

import html
import re
import typing

import pytest
from django.apps import apps
from django.urls import reverse

from tests.integration.pages.support import client_for, text_of
from trialkit.core.protocol.roles import BlindedInformation, Permission
from trialkit.web.pages.audit_words import ACTION_WORDS
from trialkit.web.pages.vocabulary import INFORMATION_WORDS, PERMISSION_WORDS
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import AuditEvent, Participant, Query

pytestmark = pytest.mark.protocols()


def test_every_permission_and_kind_of_unblinded_information_has_words():
    assert set(PERMISSION_WORDS) == set(typing.get_args(Permission))
    assert set(INFORMATION_WORDS) == set(typing.get_args(BlindedInformation))


def test_the_administrators_page_names_roles_permissions_and_information_in_words(
        trial, module_demo):
    protocol = trial.protocol
    page = text_of(client_for(module_demo, trial.administrator).get(
        reverse("pages:admin_users")).content)
    codes = {r.id for r in protocol.roles if r.id != r.name.lower()}
    codes |= {p for r in protocol.roles for p in r.can} | {s for r in protocol.roles
                                                            for s in r.sees}
    shown = {code for code in codes if "_" in code and re.search(
        rf"(?<![\w-]){re.escape(code)}(?![\w-])", page)}
    assert shown == set()
    for role in protocol.roles:
        assert role.name.lower() in page
        assert all(PERMISSION_WORDS[p] in page for p in role.can)


def _visible(body: bytes) -> str:
    """The page's text in its own case (``text_of`` lowers it, and visit ids are codes)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", body.decode(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def test_visits_are_named_by_the_schedule_never_by_their_ids(trial, module_demo):
    # The form pages read "Vital signs · visit W4PIT", the dashboard's due visits "M3", the
    # participant's doses "msc_infusion". (An id that is also a word, "it", is not looked for.)
    codes = {v.id for v in trial.protocol.schedule.visits if v.id not in v.name}
    codes |= {a.id for a in trial.protocol.design.administrations
              if "_" in a.id or any(c.isdigit() for c in a.id)}
    client = client_for(module_demo, trial.screener)
    participant = Participant.objects.filter(visits__done_on__isnull=False).first()
    pages = [reverse("pages:dashboard"), reverse("pages:participants"),
             reverse("pages:participant", args=[participant.pk])]
    links = re.findall(r'href="(/participants/\d+/forms/[^"]+|/forms/\d+/)"',
                       client.get(pages[-1]).content.decode())
    pages += sorted(set(links))[:12]
    pages += [reverse("pages:query", args=[q.pk]) for q in Query.objects.all()[:3]]
    shown = {}
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        text = _visible(page.content)
        found = {c for c in codes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)}
        if found:
            shown[url] = found
    assert shown == {}


def test_every_audit_action_has_words():
    assert set(ACTION_WORDS) == set(AuditAction)
    assert len(set(ACTION_WORDS.values())) == len(ACTION_WORDS)  # no two read alike


def test_the_audit_trail_names_actions_records_and_results_in_words(trial, module_demo):
    # It listed "judge_criteria", "FormVersion" and "judged: E10: not_met".
    reader = next(r.id for r in trial.protocol.roles if "view_audit" in r.can)
    client = client_for(module_demo, reader)
    pages = [client.get(reverse("pages:audit"), {"page": n}) for n in (1, 2, 3)]
    judged = client.get(reverse("pages:audit"), {"action": AuditAction.JUDGE_CRITERIA.value})
    text = " ".join(_visible(p.content) for p in [*pages, judged])
    actions = {a.value for a in AuditAction if "_" in a.value}
    models = {m.__name__ for m in apps.get_app_config("trial").get_models()
              if re.search("[a-z][A-Z]", m.__name__)}  # FormVersion; "Study" is a word
    shown = {code for code in actions | models | {"not_met"}
             if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)}
    assert shown == set()
    if AuditEvent.objects.filter(action=AuditAction.JUDGE_CRITERIA).exists():
        assert "Judged criteria" in _visible(judged.content)
        assert re.search(r"\b\w+: (not )?met\b", _visible(judged.content))
    assert "Saved a form" in text
