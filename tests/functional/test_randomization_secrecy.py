"""Nothing a blinded role reads lets them rebuild the randomization list, on every randomized
protocol (and on a minimisation variant of every stratified one).

The attacker knows the open-source generator (``trialkit.core.randomization``, and the pool of
numbers and kit codes a minimisation list draws) and reads, as every role blinded to the list,
every GET endpoint of the API (audit events page by page, participants, kits, exports) and
every page of the audit trail. They try the seeds a person would choose — small integers and
dates written YYYYMMDD — in two ways: the SHA-256 of the decimal seed (what the server used to
publish as the "seed digest"), and the list each seed generates, confirmed when it holds the
kit codes the attacker has seen or when its canonical SHA-256 is readable. One confirmed seed
gives away every arm.

The test also knows the truth (the seeds the server handed to numpy, the stored list) and
checks that none of it, nor an unkeyed digest of it, is readable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import yaml
from django.urls import reverse

from tests.functional.blinding import concealed_facts
from tests.functional.test_blinding_crawl import _expand
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import Clock, make_team, open_randomized_part, randomized
from tests.integration.pages.support import signed_in, text_of
from trialkit.core.protocol import Protocol
from trialkit.core.randomization import (
    RandomizationList as CoreList,
)
from trialkit.core.randomization import (
    Slot,
    allocation_unit,
    generate_list,
    stratum_keys,
)
from trialkit.core.randomization.kits import draw_kit_codes
from trialkit.interop.exports import EXPORTS
from trialkit.web.pages.templatetags.words import RANDOMIZATION_METHOD_WORDS
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.models import (
    ApiToken,
    Membership,
    Query,
    RandomizationList,
    RandomizationSlot,
    RoleRequest,
)
from trialkit.web.trial.study import current_study, protocol_of

pytestmark = pytest.mark.protocols("randomized")
SECRETS = ("allocation", "preparation", "procedure_type", "randomization_list")
HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def _guesses() -> list[int]:
    """Seeds a person picks: small integers, and dates from 2020 to 2030 written YYYYMMDD."""
    first, last = dt.date(2020, 1, 1), dt.date(2030, 12, 31)
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [*range(1025), *(int(day.strftime("%Y%m%d")) for day in days)]


@dataclass
class Scene:
    protocol: Protocol
    readable: str
    """Everything the blinded roles received, one text."""
    generation_seeds: list[object]
    """What the server handed to numpy while generating the list."""
    all_seeds: list[object]
    """Everything it handed to numpy (minimisation draws included)."""


def _numpy_spy(monkeypatch) -> list[object]:
    """Records every seed given to ``numpy.random.default_rng``; the generator is unchanged."""
    seen: list[object] = []
    real = np.random.default_rng

    def spy(seed=None):
        seen.append(seed)
        return real(seed)

    monkeypatch.setattr(np.random, "default_rng", spy)
    return seen


def _minimisation_variant(trial, tmp_path, admin) -> None:
    document = yaml.safe_load(trial.path.read_text(encoding="utf-8"))
    document["randomization"]["method"] = "minimisation"
    document["randomization"].setdefault("minimisation", {"probability": 0.8})
    amended = tmp_path / "minimisation.yaml"
    amended.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                       encoding="utf-8")
    do_load_protocol(amended, actor=admin)


def _scene(trial, make_actor, admin, monkeypatch, api, token_for, openapi_document) -> Scene:
    """The list generated and live, four participants randomized; then every blinded role
    reads all it can."""
    seeds = _numpy_spy(monkeypatch)
    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    opened = open_randomized_part(team, clock)
    generation = list(seeds)
    for n in range(1, 5):
        randomized(f"R-{n:03d}", team, clock, opened.day0)
    protocol = protocol_of(current_study())  # the amended version, where one was loaded
    values = _values(protocol, concealed_facts(protocol), opened.earlier)
    texts: list[str] = []
    for role in (r for r in protocol.roles if not set(SECRETS) & set(r.sees)):
        username = f"reader-{role.id}"
        token = token_for(role.id, username=username)
        texts += _api_texts(api, token, openapi_document, values)
        if "view_audit" in role.can:
            texts += _audit_api_texts(api, token)
            texts += _audit_page_texts(username, role.id)
    return Scene(protocol, "\n".join(texts), generation, list(seeds))


def _values(protocol: Protocol, facts, earlier) -> dict[str, list[str]]:
    """Real ids for every path parameter: randomized participants first, one open-label too,
    and the accounts' ids (the first administrator, its membership, requests and tokens)."""
    participants = [*sorted(facts.randomized_ids), *(p.id for p in earlier[:1])]
    return {
        "participant_id": [str(p) for p in participants],
        "record_id": [str(r) for r in sorted(facts.randomized_records)],
        "query_id": [str(q) for q in Query.objects.values_list("id", flat=True)],
        "kit_code": sorted(facts.randomized_kits),
        "administration_id": [a.id for a in protocol.design.administrations],
        "form_id": [f.id for f in protocol.forms],
        "visit_id": [v.id for v in protocol.schedule.visits],
        "username": ["admin"],
        "membership_id": [str(Membership.objects.order_by("pk").first().pk)],
        "request_id": [str(r.pk) for r in RoleRequest.objects.order_by("pk")[:1]] or ["1"],
        "token_id": [str(t.pk) for t in ApiToken.objects.order_by("pk")[:1]] or ["1"],
        "format": list(EXPORTS),
    }


def _api_texts(api, token, openapi_document, values) -> Iterator[str]:
    for template, operations in openapi_document["paths"].items():
        if "get" not in operations:
            continue
        for path in _expand(template, values):
            response = api.get(path, token=token, raw=True)
            assert response.status_code < 500, (path, response.content[:300])
            yield _readable(response)


def _readable(response) -> str:
    """The text an attacker reads from an answer: a zip's every member, and binary members
    (Parquet, XPT) byte for byte as Latin-1, so any seed or digest written in them shows."""
    if response.get("Content-Type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(name).decode("latin-1")
                             for name in archive.namelist())
    return response.content.decode()


def _audit_api_texts(api, token) -> Iterator[str]:
    after = 0
    while True:
        response = api.get(f"/api/audit/events?after={after}&limit=1000", token=token)
        assert response.status_code == 200
        if not response.body:
            return
        yield response.content.decode()
        after = response.body[-1]["sequence"]


def _audit_page_texts(username: str, role: str) -> Iterator[str]:
    client = signed_in(username, PASSWORD, role)
    page = 1
    while True:
        response = client.get(f"/audit/?page={page}")
        assert response.status_code == 200
        text = response.content.decode()
        yield text
        if f"?page={page + 1}" not in text:
            return
        page += 1


def _rebuilt(protocol: Protocol, seed: int) -> tuple[set[str], set[str]]:
    """The kit codes and canonical SHA-256 of the list the generator gives for ``seed``."""
    rng = np.random.Generator(np.random.PCG64(seed))  # the spy is not the attacker's
    randomization = protocol.randomization
    if randomization.method == "permuted_blocks":
        rebuilt = generate_list(protocol, rng)
        return {s.kit_code for s in rebuilt.slots}, {rebuilt.sha256()}
    size = randomization.list_size_per_stratum or protocol.part(
        randomization.part).enrolment_target
    rng.permutation(size)  # the numbers, drawn before the kit codes
    return set(draw_kit_codes(randomization.kit_code_prefix, size, rng)), set()


def _unkeyed_list_digests(protocol: Protocol) -> set[str]:
    """The SHA-256 of the stored list's canonical JSON (docs/randomization.md), and for a
    minimisation list also with its draw seeds appended (as the server once hashed it)."""
    randomization = protocol.randomization
    rand_list = RandomizationList.objects.get()
    minimising = rand_list.method == "minimisation"
    order = {key: i for i, key in enumerate(((),) if minimising else
                                            stratum_keys(randomization))}
    rows = list(RandomizationSlot.objects.all())
    slots = sorted((Slot(stratum=tuple((f, lv) for f, lv in json.loads(r.stratum)),
                         sequence=r.sequence, block=r.block, block_size=r.block_size,
                         randomization_number=r.number, arm="" if minimising else r.arm,
                         kit_code=r.kit_code,
                         treatment_sequence="" if minimising else r.treatment_sequence)
                    for r in rows), key=lambda s: (order.get(s.stratum, len(order)), s.sequence))
    text = CoreList(part=rand_list.part, ratio=tuple(sorted(randomization.ratio.items())),
                    factors=tuple(s.id for s in randomization.strata), slots=tuple(slots),
                    unit=allocation_unit(protocol.part(rand_list.part))).canonical_json()
    draws = json.dumps([r.draw_seed for r in sorted(rows, key=lambda r: r.sequence)])
    return {_sha256(text), _sha256(text + "\n" + draws)}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entropy(seed: object) -> int:
    return seed.entropy if isinstance(seed, np.random.SeedSequence) else seed


def _attack(scene: Scene) -> None:
    protocol = scene.protocol
    prefix = re.escape(protocol.randomization.kit_code_prefix)
    kits = set(re.findall(rf"{prefix}-[0-9A-Z]{{4}}-[0-9A-Z]{{4}}-[0-9A-Z]", scene.readable))
    allocated = set(RandomizationSlot.objects.filter(participant__isnull=False).values_list(
        "kit_code", flat=True))
    assert kits & allocated, "the blinded roles read no kit code: the attack has nothing to match"
    digests = set(HEX_DIGEST.findall(scene.readable.lower()))
    guesses = _guesses()

    old_scheme = {_sha256(str(seed)): seed for seed in guesses}
    assert sorted(old_scheme[d] for d in digests & old_scheme.keys()) == [], \
        "a readable value is the SHA-256 of a guessable seed"
    confirmed = []
    for seed in guesses:
        rebuilt_kits, rebuilt_digests = _rebuilt(protocol, seed)
        if kits & allocated <= rebuilt_kits or rebuilt_digests & digests:
            confirmed.append(seed)
    assert confirmed == [], "a guessed seed rebuilds the list"

    generation = [_entropy(s) for s in scene.generation_seeds]
    assert generation and all(isinstance(s, int) and s.bit_length() > 64 for s in generation)
    assert not set(generation) & set(guesses)
    for seed in (_entropy(s) for s in scene.all_seeds):
        assert str(seed) not in scene.readable and f"{seed:x}" not in scene.readable.lower()
        assert _sha256(str(seed)) not in digests
    assert not _unkeyed_list_digests(protocol) & digests, "the list's unkeyed SHA-256 is readable"
    draws = RandomizationSlot.objects.filter(draw_seed__isnull=False).values_list(
        "draw_seed", flat=True)
    assert not [d for d in draws if str(d) in scene.readable]


def test_no_blinded_reader_can_rebuild_the_list_from_a_guessed_seed_or_a_readable_digest(
        trial, make_actor, admin, monkeypatch, api, token_for, openapi_document):
    _attack(_scene(trial, make_actor, admin, monkeypatch, api, token_for, openapi_document))


@pytest.mark.protocols("randomized", "strata")
def test_no_blinded_reader_can_rebuild_a_minimisation_list_or_its_draws(
        trial, make_actor, admin, monkeypatch, api, token_for, openapi_document, tmp_path):
    _minimisation_variant(trial, tmp_path, admin)
    scene = _scene(trial, make_actor, admin, monkeypatch, api, token_for, openapi_document)
    assert RandomizationList.objects.get().method == "minimisation"
    _attack(scene)


def test_nobody_can_choose_the_seed_through_the_api_or_the_page(trial, api, token_for):
    """An old client's seed is refused by name (not silently ignored); generating takes no
    input, and the page offers no seed field."""
    manager = next(r.id for r in trial.protocol.roles if "manage_randomization" in r.can)
    token = token_for(manager, username="list-manager")
    refused = api.post("/api/randomization/list", {"seed": 20240917}, token=token)
    assert (refused.status_code, refused.body["field"]) == (422, "seed")
    client = signed_in("list-manager", PASSWORD, manager)
    page = client.post(reverse("pages:randomization_list_action", args=["generate"]),
                       {"seed": "20240917"}, follow=True)
    assert "the seed is drawn by the server" in text_of(page.content)
    assert not RandomizationList.objects.exists()
    made = api.post("/api/randomization/list", {}, token=token)
    assert made.status_code == 200 and made.body["digest"] == ""
    assert not {"seed", "seed_digest", "sha256"} & set(made.body)
    form = client.get(reverse("pages:randomization_list")).content.decode()
    assert 'name="seed"' not in form and "Seed" not in form
    method = trial.protocol.randomization.method
    assert f"<dd>{RANDOMIZATION_METHOD_WORDS[method]}</dd>" in form  # "permuted blocks"
