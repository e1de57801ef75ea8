"""On every randomized protocol, every blinded role walks every endpoint of the published schema
(exports included) in a realistic trial and learns no allocation: not from what it reads, not
from the answers to what it sends, not from comparing what it is told about two participants
who differ only in their arm.

The trial is tests/integration/pages/blinding_world.py's (the protocol's demo, an emergency
unblinding, a second site with twins). Endpoints and their request bodies are discovered from
the OpenAPI schema, so new ones are crawled without edits here; a path parameter this crawl
cannot fill fails the test (add its source to ``_values``).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import itertools
import json
import re
import uuid
import zipfile
from typing import Any
from urllib.parse import quote

import pytest

from tests.functional.blinding import (
    concealed_facts,
    counterparts,
    created_rows,
    json_differences,
    leaks,
    text_differences,
    with_created,
)
from tests.integration.pages.blinding_world import World, build_world
from tests.integration.pages.support import module_demo  # noqa: F401  (a fixture)
from trialkit.interop.exports import EXPORTS
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.actions.accounts import do_issue_api_token
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.models import (
    ApiToken,
    FormRecord,
    Membership,
    Participant,
    Query,
    RoleRequest,
    Unblinding,
)

pytestmark = pytest.mark.protocols("randomized")


@pytest.fixture(scope="module")
def world(module_demo, trial, django_db_blocker) -> World:  # noqa: F811
    with django_db_blocker.unblock():
        return build_world(module_demo, trial.path, trial.protocol)


def _token(world: World, role: str, username: str | None = None,
           password: str | None = None) -> str:
    from django.contrib.auth.models import User

    username = username or world.logins[role][0]
    password = password or world.logins[role][1]
    actor = actor_for(User.objects.get(username=username), role)
    with trial_clock.using(trial_clock.FixedClock(world.moment)):  # the crawl's own time
        return do_issue_api_token(role, "blinding crawl", password, actor=actor)


def _first_site_token(world: World, role: str) -> str:
    """The demo's user of the role (the first site's, or study-wide)."""
    sign_in = next(s for s in world.demo.sign_ins if s.role == role)
    return _token(world, role, sign_in.username, sign_in.password)


def _records(participant: Participant) -> list[FormRecord]:
    """One instance of each form (each answers the same way), every entry of the logs."""
    return sorted({(r.form_id, r.visit_id, r.repeat_index): r for r in FormRecord.objects.filter(
        participant=participant)}.values(), key=lambda r: r.pk)


def _values(world: World, participants: list[Participant]) -> dict[str, list[str]]:
    """Real ids for every path parameter, about ``participants``."""
    protocol = world.protocol
    records = [r for p in participants for r in _records(p)]
    kits = [kit for p in participants
            if (kit := getattr(getattr(p, "slot", None), "kit_code", ""))]
    return {
        "participant_id": [str(p.pk) for p in participants],
        "record_id": [str(r.pk) for r in records],
        "query_id": [str(q.pk) for q in Query.objects.filter(
            record__participant__in=participants).order_by("pk")],
        "kit_code": kits,
        "administration_id": [a.id for a in protocol.design.administrations],
        "form_id": [f.id for f in protocol.forms],
        "visit_id": [v.id for v in protocol.schedule.visits],
        # Accounts: the first administrator and a site user (the same for both twins).
        "username": sorted({"admin", *(login for login, _ in world.logins.values())})[:2],
        "membership_id": [str(Membership.objects.order_by("pk").first().pk)],
        "request_id": [str(r.pk) for r in RoleRequest.objects.order_by("pk")[:1]] or ["1"],
        "token_id": [str(t.pk) for t in ApiToken.objects.order_by("pk")[:1]] or ["1"],
        # Every standards export of the registry (each read for the crawling role).
        "format": list(EXPORTS),
    }


def _expand(template: str, values: dict[str, list[str]]) -> list[str]:
    paths = [template]
    while any("{" in p for p in paths):
        path = next(p for p in paths if "{" in p)
        paths.remove(path)
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


def _url(path: str, operation: dict[str, Any]) -> str:
    limited = any(p["name"] == "limit" for p in operation.get("parameters", []))
    return path + ("?limit=1000" if limited else "")


def _body(response) -> Any:
    if response.get("Content-Type", "").startswith("application/zip"):
        return _archive(response.content)
    return response.body if response.body is not None else response.content.decode()


def _archive(data: bytes) -> dict[str, Any]:
    """A zip (the analysis outputs) as its members, each read as its reader would: JSON as
    JSON, a dataset's records as objects naming their participant (``participant``: SUBJID,
    so the row checks find them), Parquet the same, a page or figure as one line per table
    row, list item or label, the rest as text. XPT is left out here: it is the same table as
    the Dataset-JSON and Parquet members, with numbers in binary no text check can read (the
    page crawl reads its text)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: _member(name, archive.read(name)) for name in sorted(archive.namelist())}


def _member(name: str, data: bytes) -> Any:
    if name.endswith(".parquet"):
        import pyarrow.parquet as parquet

        return [_record(r) for r in parquet.read_table(io.BytesIO(data)).to_pylist()]
    if name.endswith(".xpt"):
        return None
    text = data.decode("utf-8")
    if name.endswith((".html", ".svg")):
        return "\n".join(re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", m.group(0))))
                         for m in re.finditer(r"<(tr|li|text)\b.*?</\1>", text, flags=re.S))
    if not name.endswith(".json"):
        return text
    document = json.loads(text)
    if isinstance(document, dict) and "columns" in document and "rows" in document:
        names = [c["name"] for c in document["columns"]]
        return {**document, "rows": [_record(dict(zip(names, row, strict=True)))
                                     for row in document["rows"]]}
    return document


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v if isinstance(v, (str, int, float, type(None))) else str(v)
               for k, v in row.items()}, "participant": row.get("SUBJID")}


def crawl(api, token: str, openapi_document, values, facts) -> dict[str, set[str]]:
    """GET every path of the schema; path → concealed values found there (empty: none)."""
    found: dict[str, set[str]] = {}
    for template, operations in openapi_document["paths"].items():
        if "get" not in operations:
            continue
        for path in _expand(template, values):
            response = api.get(_url(path, operations["get"]), token=token)
            assert response.status_code < 500, (path, response.content[:300])
            hits = leaks(_body(response), about_randomized=_about_randomized(path, facts),
                         facts=facts)
            if hits:
                found[path] = hits
    return found


def _literal_participants(world: World) -> list[Participant]:
    """The twins, the participant unblinded in an emergency, a randomized participant of the
    first site with adverse events or queries, one of each other part, a candidate."""
    protocol = world.protocol
    first = Participant.objects.filter(site__code=protocol.identity.sites[0].id)
    randomized = first.filter(slot__isnull=False)
    busy = randomized.filter(queries_or_events(protocol)).distinct().first()
    others = [first.filter(part=part.id).first() for part in protocol.design.parts
              if part.id != protocol.randomization.part]
    chosen = [*world.twins, world.unblinded, busy, *others, first.filter(part="").first()]
    return list(dict.fromkeys(p for p in chosen if p is not None))


def queries_or_events(protocol):
    from django.db.models import Q

    logs = [f.id for f in protocol.forms if f.kind in ("adverse_event", "event_log")]
    return Q(forms__form_id__in=logs) | Q(forms__queries__isnull=False)


def test_no_blinded_role_receives_any_allocation_from_any_endpoint_or_export(
        trial, world, api, openapi_document):
    facts = concealed_facts(world.protocol)
    assert len(facts.randomized_ids) >= 4 and facts.randomized_kits
    values = _values(world, _literal_participants(world))
    roles = world.blinded_roles()
    assert len(roles) >= 3 and {trial.data_manager, trial.administrator} <= set(roles)
    leaked = {}
    for role in roles:
        tokens = {_first_site_token(world, role)}
        if world.protocol.role(role).site_scoped:
            tokens.add(_token(world, role))  # the twins' site
        for token in tokens:
            found = crawl(api, token, openapi_document, values, facts)
            leaked |= {f"{role} {path}": hits for path, hits in found.items()}
    assert leaked == {}


def test_the_crawl_finds_the_allocation_an_unblinded_role_is_shown(
        trial, world, api, openapi_document):
    """The detector is not blind itself: the preparing role legitimately sees allocations and
    preparations, and the crawl reports exactly those answers."""
    protocol = world.protocol
    facts = concealed_facts(protocol)
    preparer = next(r.id for r in protocol.roles
                    if {"allocation", "preparation"} <= set(r.sees) and "prepare_kit" in r.can)
    twins = list(world.twins)
    found = crawl(api, _token(world, preparer), openapi_document, _values(world, twins), facts)
    assert {f"/api/participants/{p.pk}/allocation" for p in twins} <= set(found)
    assert {f"/api/kits/{p.slot.kit_code}/preparation" for p in twins} <= set(found)
    assert all(p.startswith(("/api/participants/", "/api/kits/")) for p in found)


# -- the differential check ---------------------------------------------------------------------

def _twin_paths(world: World, openapi_document, method: str
                ) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(template, path about twin A, the same path about twin B, operation): every path with a
    parameter expanded once for each twin, in the same order; paths about no twin once."""
    a, b = (_values(world, [twin]) for twin in world.twins)
    assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}, \
        "the twins have different records or queries"
    found = []
    for template, operations in openapi_document["paths"].items():
        if method in operations:
            found += [(template, x, y, operations[method])
                      for x, y in zip(_expand(template, a), _expand(template, b), strict=True)]
    return found


def _rows_about(body: Any, twin: Participant) -> list[Any]:
    """In an answer about many participants: the objects (or CSV lines) naming ``twin``."""
    if isinstance(body, str):
        return [line for line in body.splitlines() if twin.screening_number in line]
    found = []
    if isinstance(body, dict):
        if twin.pk in (body.get("participant_id"), body.get("id") if "screening_number" in body
                       else None) or twin.screening_number in (
                body.get("screening_number"), body.get("participant")):
            return [body]
        for value in body.values():
            found += _rows_about(value, twin)
    elif isinstance(body, list):
        for value in body:
            found += _rows_about(value, twin)
    return found


def _differences(body_a: Any, body_b: Any, same_path: bool, world: World, twins
                 ) -> list[tuple[str, str]]:
    if same_path:  # an answer about many participants: the twins' rows against each other
        rows_a, rows_b = (_rows_about(body_a, t) for t in world.twins)
        if len(rows_a) != len(rows_b):
            return [(f"{len(rows_a)} rows", f"{len(rows_b)} rows")]
        body_a, body_b = rows_a, rows_b
    if isinstance(body_a, str) or isinstance(body_b, str):
        return text_differences(str(body_a), str(body_b), twins)
    if body_a and all(isinstance(row, str) for row in [*body_a, *body_b]):  # CSV lines
        return text_differences("\n".join(body_a), "\n".join(body_b), twins)
    return json_differences(body_a, body_b, twins)


def test_a_blinded_role_is_told_the_same_about_twins_in_different_arms_by_every_endpoint(
        world, api, openapi_document):
    twins = counterparts(*world.twins)
    paths = _twin_paths(world, openapi_document, "get")
    assert len(paths) > 30
    differing = {}
    for role in world.blinded_roles():
        token, answered = _token(world, role), 0
        for _, path_a, path_b, operation in paths:
            with world.unchanged():
                got_a = api.get(_url(path_a, operation), token=token)
            with world.unchanged():
                got_b = got_a if path_b == path_a else api.get(_url(path_b, operation),
                                                               token=token)
            answered += got_a.status_code == 200
            found = _differences(_body(got_a), _body(got_b), path_a == path_b, world, twins)
            if got_a.status_code != got_b.status_code or found:
                differing[f"{role} {path_a}"] = (got_a.status_code, got_b.status_code,
                                                 found[:3])
        assert answered > 10, f"{role} was refused almost everything: its token works?"
    assert differing == {}


def test_the_differential_check_tells_the_twins_apart_for_a_role_that_knows_the_arm(
        world, api):
    twins = counterparts(*world.twins)
    knowing = next(r.id for r in world.protocol.roles if "allocation" in r.sees)
    token = _token(world, knowing)
    a, b = (api.get(f"/api/participants/{t.pk}/allocation", token=token) for t in world.twins)
    assert json_differences(a.body, b.body, twins)


# -- what the endpoints answer to what is sent --------------------------------------------------

def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), schema)
        return _schema(document, schema)
    return schema


def _neutral(document: dict[str, Any], schema: dict[str, Any], name: str, password: str,
             today: dt.date) -> Any:
    """A value any person could send, the same for both twins."""
    schema = _schema(document, schema)
    if name == "password":
        return password
    if "enum" in schema:
        return schema["enum"][0]
    kind, form = schema.get("type"), schema.get("format")
    if kind == "object" and "properties" in schema:
        return {key: _neutral(document, sub, key, password, today)
                for key, sub in schema["properties"].items()}
    return {"object": {}, "array": [], "boolean": False, "integer": 1, "number": 1.0}.get(
        kind, today.isoformat() if form == "date" else
        f"{today.isoformat()}T10:00:00+00:00" if form == "date-time" else
        "Checked with the participant")


def _bodies(world: World, document: dict[str, Any], operation: dict[str, Any], password: str,
            today: dt.date) -> list[Any]:
    """The empty body, and one body from the schema per form (with its values and the visit
    that collects it) or per administration, where the schema takes one."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return [None]
    base = _neutral(document, content["schema"], "", password, today)
    if not isinstance(base, dict):
        return [{}, base]
    protocol = world.protocol
    bodies: list[Any] = [{}]
    if "form_id" in base:
        from trialkit.web.demo_values import form_values

        for form in protocol.forms:
            visit = next((v.id for v in protocol.schedule.visits if form.id in v.forms), "")
            bodies.append({**base, "form_id": form.id, "visit_id": visit, "repeat_index": None,
                           "data": form_values(protocol, form, today)} if "data" in base
                          else {**base, "form_id": form.id})
    elif "administration_id" in base:
        bodies += [{**base, "administration_id": a.id} for a in protocol.design.administrations]
    else:
        bodies.append(base)
    return [{k: v for k, v in b.items() if v is not None} for b in bodies]


def _sent(world: World, api, method: str, path: str, body: Any,
          token: str) -> tuple[int, Any, dict[str, list[int]]] | None:
    """The answer, undone afterwards (every request meets the same trial); None for an
    emergency unblinding, the one way a blinded role is meant to learn an arm (audited and
    notified)."""
    with world.unchanged(), created_rows() as created:
        before = Unblinding.objects.count()
        response = api.request(method, path, token=token, json_body=body,
                               headers={"Idempotency-Key": uuid.uuid4().hex})
        unblinded = Unblinding.objects.count() > before
    return None if unblinded else (response.status_code, _body(response), created)


def test_every_request_a_blinded_role_sends_is_answered_the_same_about_both_twins(
        world, api, openapi_document):
    """Refused or done, the answer about the twin in one arm reads like the answer about the
    twin in the other and names no arm: refusal messages included (e.g. the blinded
    coordinator sending the record of the sham puncture, or a dose of the procedure it may not
    record)."""
    facts = concealed_facts(world.protocol)
    twins = counterparts(*world.twins)
    today = world.demo.today
    operations = [(method, template, a, b, op)
                  for method in ("post", "put", "delete")
                  for template, a, b, op in _twin_paths(world, openapi_document, method)
                  if a != b]  # requests about no twin: the literal crawl's, input hygiene's
    assert len(operations) > 10
    differing, leaked, unblindings = {}, {}, 0
    for role in world.blinded_roles():
        token, password = _token(world, role), world.logins[role][1]
        for method, _, path_a, path_b, operation in operations:
            for body in _bodies(world, openapi_document, operation, password, today):
                answer_a = _sent(world, api, method, path_a, body, token)
                answer_b = _sent(world, api, method, path_b, body, token)
                if answer_a is None or answer_b is None:
                    assert answer_a is None and answer_b is None, (role, path_a)
                    unblindings += 1
                    continue
                (status_a, said_a, made_a), (status_b, said_b, made_b) = answer_a, answer_b
                assert status_a < 500 and status_b < 500, (role, path_a, said_a)
                found = _differences(said_a, said_b, False, world,
                                     with_created(twins, made_a, made_b))
                where = f"{role} {method.upper()} {path_a} {str(body)[:60]}"
                if status_a != status_b or found:
                    differing[where] = (status_a, status_b, found[:3])
                hits = leaks(said_a, about_randomized=True, facts=facts) | leaks(
                    said_b, about_randomized=True, facts=facts)
                if hits:
                    leaked[where] = hits
    assert differing == {}
    assert leaked == {}
    assert unblindings <= len(world.blinded_roles())  # the unblinding endpoint's own answer
