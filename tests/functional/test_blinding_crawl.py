"""On every randomized protocol, every blinded role walks every GET endpoint of the published
schema (exports included) in a trial with randomized, dosed participants, and receives
nothing that reveals an allocation.

Endpoints are discovered from the OpenAPI schema, so new ones are crawled without edits here;
a path parameter this crawl cannot fill fails the test (add its source to ``_values``).
"""

from __future__ import annotations

import itertools
from urllib.parse import quote

import pytest

from tests.functional.blinding import concealed_facts, leaks
from tests.integration.journey_support import (
    Clock,
    give,
    make_team,
    open_randomized_part,
    randomized,
)
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.queries import do_raise_query
from trialkit.web.trial.models import FormRecord, Participant, Query

pytestmark = pytest.mark.protocols("randomized")
BLINDING = ("allocation", "preparation", "procedure_type")


@pytest.fixture
def crawled(trial, make_actor, monkeypatch):
    """The randomized part open (its reviewed part done, if any), four participants
    randomized, two of them given the Day-0 dose with the visit's forms, a query open."""
    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    people = [randomized(f"R-{n:03d}", team, clock, opened.day0) for n in range(1, 5)]
    day_zero = trial.administrations()[0]
    visit = trial.visit(day_zero.visit)
    for participant, kit in people[:2]:
        give(participant, day_zero.id, opened.day0, team.performing(day_zero.id), clock,
             kit_code=kit)
        for form_id in visit.forms:
            form = trial.form(form_id)
            if form.kind not in ("administration", "adverse_event"):
                do_save_form(participant, form_id, visit.id, trial.values(form, opened.day0),
                             actor=team.entering(form_id))
    form = trial.forms_of_kind("demographics")[0]
    record = FormRecord.objects.filter(participant=people[0][0], form_id=form.id).get()
    item = next(i.id for i in form.items if i.required)
    do_raise_query(record, item, "Please confirm against the ID card.",
                   actor=make_actor(trial.monitor))
    return team, opened.earlier


def _blinded_roles(protocol) -> list[str]:
    return [r.id for r in protocol.roles if not set(BLINDING) & set(r.sees)]


def _values(protocol, facts, earlier) -> dict[str, list[str]]:
    """Real ids for every path parameter: randomized participants first, one open-label too."""
    participants = [*sorted(facts.randomized_ids), *(p.id for p in earlier[:1])]
    return {
        "participant_id": [str(p) for p in participants],
        "record_id": [str(r) for r in sorted(facts.randomized_records)],
        "query_id": [str(q) for q in Query.objects.values_list("id", flat=True)],
        "kit_code": sorted(facts.randomized_kits),
        "administration_id": [a.id for a in protocol.design.administrations],
        "form_id": [f.id for f in protocol.forms],
        "visit_id": [v.id for v in protocol.schedule.visits],
    }


def _expand(template: str, values: dict[str, list[str]]) -> list[str]:
    paths = [template]
    while any("{" in p for p in paths):
        path = paths.pop(0) if "{" in paths[0] else paths.pop()
        name = path[path.index("{") + 1:path.index("}")]
        assert name in values, f"the crawl cannot fill {{{name}}} of {template}"
        paths += [path.replace(f"{{{name}}}", quote(v, safe=""), 1) for v in values[name]]
    return paths


def _about_randomized(path: str, facts) -> bool:
    parts = path.split("/")
    after = dict(itertools.pairwise(parts))
    return (after.get("participants", "").isdigit()
            and int(after["participants"]) in facts.randomized_ids) or (
        after.get("forms", "").isdigit() and int(after["forms"]) in facts.randomized_records) or (
        after.get("kits") in facts.randomized_kits)


def crawl(api, token: str, openapi_document, values, facts) -> dict[str, set[str]]:
    """GET every path of the schema; path → concealed values found there (empty: none)."""
    found: dict[str, set[str]] = {}
    for template, operations in openapi_document["paths"].items():
        if "get" not in operations:
            continue
        for path in _expand(template, values):
            url = path + ("?limit=1000" if any(p["name"] == "limit" for p in
                                               operations["get"].get("parameters", [])) else "")
            response = api.get(url, token=token)
            assert response.status_code < 500, (url, response.content[:300])
            body = response.body if response.body is not None else response.content.decode()
            hits = leaks(body, about_randomized=_about_randomized(path, facts), facts=facts)
            if hits:
                found[path] = hits
    return found


def test_no_blinded_role_receives_any_allocation_from_any_endpoint_or_export(
        trial, crawled, api, admin, openapi_document, token_for):
    _, earlier = crawled
    protocol = admin.protocol()
    facts = concealed_facts(protocol)
    assert len(facts.randomized_ids) == 4 and facts.randomized_kits
    values = _values(protocol, facts, earlier)
    roles = _blinded_roles(protocol)
    assert len(roles) >= 3 and {trial.data_manager, trial.administrator} <= set(roles)
    leaked = {}
    for role in roles:
        token = token_for(role, username=f"crawl-{role}")
        found = crawl(api, token, openapi_document, values, facts)
        leaked |= {f"{role} {path}": hits for path, hits in found.items()}
    assert leaked == {}


def test_the_crawl_finds_the_allocation_an_unblinded_role_is_shown(
        trial, crawled, api, admin, openapi_document, token_for):
    """The detector is not blind itself: the preparing role legitimately sees allocations and
    preparations, and the crawl reports exactly those answers."""
    team, earlier = crawled
    protocol = admin.protocol()
    facts = concealed_facts(protocol)
    preparer = next(r.id for r in protocol.roles
                    if {"allocation", "preparation"} <= set(r.sees) and "prepare_kit" in r.can)
    token = token_for(preparer, username="crawl-preparer")
    found = crawl(api, token, openapi_document, _values(protocol, facts, earlier), facts)
    allocated = sorted(facts.randomized_ids)
    assert {f"/api/participants/{p}/allocation" for p in allocated} <= set(found)
    assert {f"/api/kits/{k}/preparation" for k in facts.randomized_kits} <= set(found)
    assert all(p.startswith(("/api/participants/", "/api/kits/")) for p in found)
    assert Participant.objects.filter(id__in=allocated, status="enrolled").count() == 4
    screener = actor_for(team.coordinator.user, trial.screener)
    assert screener.sees("allocation") is ("allocation" in protocol.role(trial.screener).sees)
