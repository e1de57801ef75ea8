"""No blinded role receives a concealed fact on any page.

The crawl signs in as every blinded role of the protocol (a role that ``sees`` nothing), walks
every GET page of the URLconf with the demo trial's real ids — the randomized
participants with adverse events or queries and one without, a Phase I participant and candidates, their forms and queries — and looks
for: any arm id or label, any preparation text, the procedure values ``real`` / ``sham``, and
the number or kit code of any slot not yet allocated. Public protocol text (the title, part
names, criterion texts) is removed first: it is the same for everyone and names the design,
not anybody's allocation.
"""

from __future__ import annotations

import re

from django.db.models import Q

from tests.integration.pages.page_urls import urls_about
from tests.integration.pages.support import client_for, demo_trial, text_of
from trialkit.core.protocol import Protocol
from trialkit.web.trial.models import Participant, RandomizationSlot
from trialkit.web.trial.study import current_study, protocol_of


def concealed(protocol: Protocol) -> list[re.Pattern[str]]:
    arms = {v for a in protocol.design.arms for v in (a.id, a.label)}
    preparations = {p.preparation for a in protocol.design.administrations
                    for p in a.by_arm.values()}
    free = RandomizationSlot.objects.filter(participant__isnull=True)
    terms = arms | preparations | {"real", "sham"} | set(
        free.values_list("number", flat=True)) | set(free.values_list("kit_code", flat=True))
    return [re.compile(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])") for t in terms]


def public_text(protocol: Protocol) -> list[str]:
    texts = [protocol.identity.brief_title, *(p.name for p in protocol.design.parts),
             *(c.text for c in protocol.eligibility.criteria)]
    return sorted((re.sub(r"\s+", " ", t).lower() for t in texts), key=len, reverse=True)


def leaks(body: bytes, patterns: list[re.Pattern[str]], public: list[str]) -> set[str]:
    text = text_of(body)
    for known in public:
        text = text.replace(known, " ")
    return {p.pattern for p in patterns if p.search(text)}


def test_no_blinded_role_sees_an_arm_a_preparation_or_a_procedure_type_on_any_page():
    demo = demo_trial()
    protocol = protocol_of(current_study())
    patterns, public = concealed(protocol), public_text(protocol)
    # Randomized participants with the most on their pages: events, queries, the relapse.
    randomized = list(Participant.objects.filter(slot__isnull=False).filter(
        Q(forms__form_id__in=("AE", "RELAPSE")) | Q(forms__queries__isnull=False)).distinct())
    randomized.append(Participant.objects.filter(slot__isnull=False).exclude(
        pk__in=[p.pk for p in randomized]).first())
    others = [Participant.objects.filter(part="phase1").first(),
              *Participant.objects.filter(part="").order_by("pk")]
    urls = sorted(set(urls_about([*randomized, *others])))
    blinded = [r.id for r in protocol.roles if r.blinded]
    assert {"investigator", "edss_rater", "coordinator", "statistician"} <= set(blinded)
    assert len(urls) > 100
    found = {}
    for role in blinded:
        client = client_for(demo, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (role, url)
            hits = leaks(response.content, patterns, public)
            if hits:
                found[(role, url)] = hits
    assert found == {}


def test_the_crawl_would_notice_an_arm_on_an_unblinded_page():
    """The detector is not blind itself: unblinded roles do get these facts on their pages."""
    demo = demo_trial()
    protocol = protocol_of(current_study())
    patterns, public = concealed(protocol), public_text(protocol)
    preparer = next(r.id for r in protocol.roles
                    if "prepare_kit" in r.can and "preparation" in r.sees)
    queue = client_for(demo, preparer).get("/preparations/")
    assert leaks(queue.content, patterns, public)
    performer = next(r.id for r in protocol.roles
                     if "perform_procedure" in r.can and "procedure_type" in r.sees)
    procedures = client_for(demo, performer).get("/procedures/")
    assert any("sham" in hit for hit in leaks(procedures.content, patterns, public))
