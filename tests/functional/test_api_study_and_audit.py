"""The study, its protocol's operational parts, and the audit trail over the API, on every
protocol."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.protocols()


def test_every_role_reads_the_study_its_sites_and_protocol(trial, api, token_for):
    protocol = trial.protocol
    for role in protocol.roles:
        assert api.get("/api/study", token=token_for(role.id)).status_code == 200, role.id
    token = token_for(trial.investigator, username="reader")
    study = api.get("/api/study", token=token).body
    assert study["protocol_id"] == protocol.identity.id and study["locked_at"] is None
    assert {(s["code"], s["time_zone"]) for s in api.get("/api/study/sites", token=token).body
            } == {(s.id, s.time_zone) for s in protocol.identity.sites}
    described = api.get("/api/study/protocol", token=token).body
    assert [f["id"] for f in described["forms"]] == [f.id for f in protocol.forms]
    assert [v["id"] for v in described["visits"]] == [v.id for v in protocol.schedule.visits]


def test_the_protocol_view_says_nothing_about_arms_or_kit_contents(trial, api, token_for):
    protocol = trial.protocol
    text = api.get("/api/study/protocol", token=token_for(trial.screener)).content.decode()
    for administration in protocol.design.administrations:
        for preparation in administration.by_arm.values():
            assert preparation.preparation not in text
    assert '"arms"' not in text and '"by_arm"' not in text


def test_the_audit_trail_is_listed_and_verified_for_roles_that_view_it(trial, api, token_for):
    token = token_for(trial.data_manager)
    verified = api.get("/api/audit/verify", token=token).body
    assert verified["intact"] is True and verified["events"] > 0
    grants = api.get("/api/audit/events?action=grant_role", token=token).body
    assert grants and all(e["action"] == "grant_role" for e in grants)
    after = api.get(f"/api/audit/events?after={grants[0]['sequence']}&limit=1", token=token).body
    assert len(after) == 1 and after[0]["sequence"] > grants[0]["sequence"]


def test_roles_without_view_audit_cannot_read_the_trail(trial, api, token_for):
    token = token_for(trial.screener)
    assert api.get("/api/audit/events", token=token).status_code == 403
    assert api.get("/api/audit/verify", token=token).status_code == 403


def test_a_malformed_query_parameter_is_refused_naming_it(trial, api, token_for):
    answer = api.get("/api/audit/events?limit=many", token=token_for(trial.administrator))
    assert answer.status_code == 422 and answer.body["field"] == "limit"


def test_the_published_schema_is_served_and_lists_every_router(api):
    response = api.client.get("/api/openapi.json")
    paths = response.json()["paths"]
    assert response.status_code == 200
    assert {"/api/me", "/api/study", "/api/audit/events"} <= set(paths)


def test_every_schema_name_belongs_to_one_class_so_none_is_shadowed_in_the_published_schema():
    import importlib
    import inspect
    import pkgutil

    from ninja import Schema

    import trialkit.web.api as package

    owners: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Schema) and value.__module__ == module.__name__:
                owners.setdefault(name, []).append(module.__name__)
    assert {name: where for name, where in owners.items() if len(where) > 1} == {}


def test_the_cli_writes_the_same_schema_the_server_publishes(api, tmp_path):
    import json

    from trialkit.cli.main import main

    out = tmp_path / "openapi.json"
    assert main(["web", "openapi", "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == api.client.get("/api/openapi.json").json()


def test_audit_payloads_show_blinded_keys_only_to_roles_that_see_them(trial, admin,
                                                                     make_actor):
    from trialkit.web.api.redaction import MASK, redact_event

    arm = trial.protocol.design.arms[-1].id
    payload = {"participant": "R-001", "new": [{"arm": arm, "kit_code": "K-1"}],
               "procedure_type": "sham", "preparation": None}
    blinded = redact_event(make_actor(trial.data_manager), payload)
    assert blinded == {"participant": "R-001", "new": [{"arm": MASK, "kit_code": "K-1"}],
                       "procedure_type": MASK, "preparation": None}
    preparer = next(r for r in trial.protocol.roles
                    if "allocation" in r.sees and "procedure_type" not in r.sees)
    unblinded = redact_event(make_actor(preparer.id), payload)
    assert (unblinded["new"][0]["arm"], unblinded["procedure_type"]) == (arm, MASK)
