"""Every blinded role walks every GET endpoint of the published schema (exports included) in
a trial with randomized, dosed participants, and receives nothing that reveals an allocation.

Endpoints are discovered from the OpenAPI schema, so new ones are crawled without edits here;
a path parameter this crawl cannot fill fails the test (add its source to ``_values``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import quote

import pytest

from tests.functional.blinding import concealed_facts, leaks
from tests.integration.journey_support import (
    Clock,
    eligible_and_consented,
    give,
    last_it_day,
    make_team,
    open_phase2a,
)
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.queries import do_raise_query
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import FormRecord, Participant, Query

BLINDING = ("allocation", "preparation", "procedure_type")


@pytest.fixture
def trial(make_actor, monkeypatch):
    """Phase I done, four Phase IIa participants randomized, two of them dosed, a query open."""
    clock = Clock(monkeypatch)
    team = make_team(make_actor)
    phase1 = open_phase2a(team, clock)
    day0 = last_it_day(phase1) + dt.timedelta(days=35)
    randomized = []
    for n in range(1, 5):
        participant = eligible_and_consented(f"P2-{n:03d}", team, clock, day0)
        result = do_randomize_participant(participant, actor=team.coordinator)
        randomized.append((participant, result.kit_code))
    for participant, kit in randomized[:2]:
        give(participant, "iv", day0, team.investigator, clock, kit_code=kit)
        do_save_form(participant, "VS", "D0", {
            "measured_at": f"{day0.isoformat()}T11:00:00+00:00", "systolic_bp": 120,
            "diastolic_bp": 80, "heart_rate": 70, "temperature": 36.8}, actor=team.coordinator)
    monitor = make_actor("monitor")
    record = FormRecord.objects.filter(participant=randomized[0][0], form_id="DM").get()
    do_raise_query(record, "birth_date", "Please confirm against the ID card.", actor=monitor)
    return team, phase1


def _blinded_roles(protocol) -> list[str]:
    return [r.id for r in protocol.roles if not set(BLINDING) & set(r.sees)]


def _values(protocol, facts, phase1) -> dict[str, list[str]]:
    """Real ids for every path parameter: randomized participants first, one open-label too."""
    participants = [*sorted(facts.randomized_ids), phase1[0].id]
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
        trial, api, admin, openapi_document, token_for):
    _, phase1 = trial
    protocol = admin.protocol()
    facts = concealed_facts(protocol)
    assert len(facts.randomized_ids) == 4 and facts.randomized_kits
    values = _values(protocol, facts, phase1)
    roles = _blinded_roles(protocol)
    assert {"coordinator", "investigator", "edss_rater", "monitor", "data_manager",
            "statistician", "administrator"} <= set(roles)
    leaked = {}
    for role in roles:
        token = token_for(role, site="CMUH", username=f"crawl-{role}")
        found = crawl(api, token, openapi_document, values, facts)
        leaked |= {f"{role} {path}": hits for path, hits in found.items()}
    assert leaked == {}


def test_the_crawl_finds_the_allocation_an_unblinded_role_is_shown(
        trial, api, admin, openapi_document, token_for):
    """The detector is not blind itself: the cell lab legitimately sees arms and preparations,
    and the crawl reports exactly those answers."""
    team, phase1 = trial
    protocol = admin.protocol()
    facts = concealed_facts(protocol)
    token = token_for("cell_lab", site="CMUH", username="crawl-cell-lab")
    found = crawl(api, token, openapi_document, _values(protocol, facts, phase1), facts)
    randomized = sorted(facts.randomized_ids)
    assert {f"/api/participants/{p}/allocation" for p in randomized} <= set(found)
    assert {f"/api/kits/{k}/preparation" for k in facts.randomized_kits} <= set(found)
    assert all(p.startswith(("/api/participants/", "/api/kits/")) for p in found)
    assert Participant.objects.filter(id__in=randomized, status="enrolled").count() == 4
    assert actor_for(team.coordinator.user, "coordinator").sees("allocation") is False
