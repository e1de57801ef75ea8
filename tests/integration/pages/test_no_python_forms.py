"""No page shows a Python object's printed form: every role, every page of the demo (one
participant of each status), every protocol. Found by people who tried the product: the page
header read "Site: <QuerySet [<Site: Site object (1)>]>", the randomization list showed strata
as [["ms_course", "RRMS"]], and the audit trail showed {'consent_date': None, ...}."""

from __future__ import annotations

import re

import pytest

from tests.integration.pages.page_urls import urls_about
from tests.integration.pages.support import client_for, text_of
from trialkit.web.pages.trail_listing import codebook, in_words
from trialkit.web.trial.models import Participant

pytestmark = pytest.mark.protocols()

PYTHON_FORMS = re.compile(
    r"<queryset|\w+ object \(\d+\)|\{'|\[\('|\[\[\"|\[\['|<\w+: [^>]*>")
"""What str() of a queryset, a model, a dict or a list of pairs prints (``text_of`` lower-cases
the page's text)."""


def _one_of_each_status() -> list[Participant]:
    firsts = {}
    for participant in Participant.objects.order_by("pk"):
        firsts.setdefault(participant.status, participant)
    return list(firsts.values())


def test_no_page_shows_a_python_objects_printed_form_to_any_role(trial, module_demo):
    urls = sorted(set(urls_about(_one_of_each_status())))
    found = []
    for role in trial.protocol.roles:
        client = client_for(module_demo, role.id)
        for url in urls:
            response = client.get(url)
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            text = text_of(response.content)
            found += [(role.id, url, text[max(0, m.start() - 40):m.end() + 40])
                      for m in PYTHON_FORMS.finditer(text)][:2]
    assert found == []


def test_an_audit_events_values_read_as_fields_and_words():
    assert in_words({"consent_date": None, "judged": {"e1": "met"}, "flags": [True, False],
                     "kits": ["A-1", "B-2"], "count": 3}) == [
        ("consent date", "—"), ("judged", "e1: met"), ("flags", "yes, no"),
        ("kits", "A-1, B-2"), ("count", "3")]
    assert in_words(None) == [] and in_words(["x"]) == [("", "x")]


def test_codes_in_an_events_values_read_in_the_protocols_words(trial):
    # "judged: E10: not_met", a refusal's "field: committee.days_elapsed", "visit: M6".
    words = codebook(trial.protocol)
    visit = trial.protocol.schedule.visits[-1]
    assert in_words({"judged": {"E10": "not_met", "I1": "met"}, "visit": visit.id,
                     "field": "committee.days_elapsed", "action": "enrol_participant",
                     "note": "not_met is kept in free text"}, words) == [
        ("judged", "E10: not met; I1: met"), ("visit", visit.name),
        ("field", "committee: days elapsed"), ("action", "enrolled a participant"),
        ("note", "not_met is kept in free text")]


def test_a_saved_forms_items_read_by_their_labels_and_decodes(trial):
    # The trail read "relation procedure: not_related" for a saved adverse event.
    protocol = trial.protocol
    form, item = next((f, i) for f in protocol.forms for i in f.items
                      if i.type == "choice" and i.codelist)
    term = protocol.codelist(item.codelist).items[0]
    shown = dict(in_words({"form": form.id, "items": {item.id: term.code}, "findings": []},
                          codebook(protocol)))
    assert shown["items"] == f"{item.label}: {term.decode}"
    assert shown["form"] == form.name
    # Without the protocol's codebook the stored values are shown as they are.
    assert dict(in_words({"form": form.id, "items": {item.id: term.code}}))["items"] == (
        f"{item.id.replace('_', ' ')}: {term.code}")
