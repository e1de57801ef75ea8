"""No blinded role receives a concealed fact on any page, on every protocol.

The crawl signs in as every blinded role of the protocol (a role that ``sees`` nothing), walks
every GET page of the URLconf with the demo trial's real ids — the randomized participants
with adverse events, log entries or queries and one without, a participant of an open-label
part and the candidates, their forms and queries — and looks for: any arm or sequence id or
label, any preparation text, the procedure values ``real`` / ``sham``, and the number or kit
code of any slot not yet allocated. Public protocol text (titles, names, labels, criterion
texts) is removed first: it is the same for everyone and names the design, not anybody's
allocation.
"""

from __future__ import annotations

import re

import pytest
from django.db.models import Q

from tests.integration.pages.page_urls import urls_about
from tests.integration.pages.support import (
    client_for,
    randomize_the_waiting_candidate,
    text_of,
)
from tests.protocol_cases import allocation_secrets, public_texts
from trialkit.core.protocol import Protocol
from trialkit.web.trial.models import Participant, RandomizationSlot

pytestmark = pytest.mark.protocols("randomized")


def concealed(protocol: Protocol) -> list[re.Pattern[str]]:
    free = RandomizationSlot.objects.filter(participant__isnull=True)
    terms = allocation_secrets(protocol) | {"real", "sham"} | set(
        free.values_list("number", flat=True)) | set(free.values_list("kit_code", flat=True))
    return [re.compile(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])") for t in terms]


def leaks(body: bytes, patterns: list[re.Pattern[str]], public: list[str]) -> set[str]:
    text = text_of(body)
    for known in public:
        text = text.replace(known, " ")
    return {p.pattern for p in patterns if p.search(text)}


def _crawled_participants(trial) -> list[Participant]:
    """Randomized participants with the most on their pages (events, log entries, queries)
    and one with little; one of each other part; the candidates."""
    protocol = trial.protocol
    logs = [f.id for f in protocol.forms if f.kind in ("adverse_event", "event_log")]
    slotted = Participant.objects.filter(slot__isnull=False)
    randomized = list(slotted.filter(Q(forms__form_id__in=logs)
                                     | Q(forms__queries__isnull=False)).distinct())
    randomized.append(slotted.exclude(pk__in=[p.pk for p in randomized]).first())
    others = [Participant.objects.filter(part=part.id).first()
              for part in protocol.design.parts if part.id != protocol.randomization.part]
    return [p for p in [*randomized, *others, *Participant.objects.filter(part="")] if p]


def test_no_blinded_role_sees_an_allocation_a_preparation_or_a_procedure_type_on_any_page(
        trial, module_demo):
    protocol = trial.protocol
    patterns, public = concealed(protocol), public_texts(protocol)
    urls = sorted(set(urls_about(_crawled_participants(trial))))
    blinded = [r.id for r in protocol.roles if r.blinded]
    assert trial.investigator in blinded or not trial.has("blinded")
    assert len(blinded) >= 3 and len(urls) > 50
    found = {}
    for role in blinded:
        client = client_for(module_demo, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (role, url)
            hits = leaks(response.content, patterns, public)
            if hits:
                found[(role, url)] = hits
    assert found == {}


def test_the_crawl_would_notice_an_allocation_on_an_unblinded_page(trial, module_demo):
    """The detector is not blind itself: unblinded roles do get these facts on their pages."""
    protocol = trial.protocol
    randomize_the_waiting_candidate(module_demo, protocol)  # a kit to prepare
    patterns, public = concealed(protocol), public_texts(protocol)
    preparer = next(r.id for r in protocol.roles
                    if "prepare_kit" in r.can and "preparation" in r.sees)
    queue = client_for(module_demo, preparer).get("/preparations/")
    assert leaks(queue.content, patterns, public)
    performers = [r.id for r in protocol.roles
                  if "perform_procedure" in r.can and "procedure_type" in r.sees]
    if trial.has("sham"):
        procedures = client_for(module_demo, performers[0]).get("/procedures/")
        assert any("sham" in hit for hit in leaks(procedures.content, patterns, public))
