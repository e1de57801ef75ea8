"""The trial the blinding crawls read: realistic, and with a controlled experiment inside it.

The protocol's demo (``trialkit web demo``: every part, both arms, the real and the sham or
absent procedure, adverse events, queries, signatures) at the first site, and on top of it:

- a second site with its own site team (every site-scoped role);
- **twins** at that site: candidates with the same story, entered on the same days by the same
  people, randomized one after another until both arms (or sequences) are among them. What a
  blinded reader is shown about the twin in one arm and the twin in the other must be the same
  once their own identifiers are paired (screening and randomization numbers, kit codes, record
  and query ids): anything else the arm made different leaks it;
- the record of each twin's arm-revealing procedure (``core.protocol.reading``) with what the
  performer writes there in practice: whether the procedure was real, sham or none;
- an emergency unblinding at the first site by a second investigator, so the unblinding's
  traces are crawled too (the crawling investigator is not the one who unblinded).

Dates are counted back from today like the demo's, so the twins' last visits are live.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from tests.accounts_support import PASSWORD, sign_in_page
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.reading import revealing_administrations
from trialkit.web.demo import Demo
from trialkit.web.demo_plan import Joining
from trialkit.web.demo_story import Person, load_story
from trialkit.web.demo_trial import DemoClock, DemoTrial
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.access import access_procedure_type
from trialkit.web.trial.actions.accounts import (
    do_approve_role_request,
    do_create_user,
    do_grant_role,
)
from trialkit.web.trial.actions.base import Actor, actor_for
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.oversight import do_unblind_participant
from trialkit.web.trial.actions.queries import do_raise_query
from trialkit.web.trial.models import (
    FormRecord,
    Participant,
    RandomizationSlot,
    RoleRequest,
    Site,
)

DAY = dt.timedelta(days=1)
BLINDING = ("allocation", "preparation", "procedure_type")
"""A role that sees none of these is blind to every participant's arm."""


@dataclass
class World:
    demo: Demo
    protocol: Protocol
    site: str
    """The second site, where the twins are."""
    twins: tuple[Participant, Participant]
    """One twin in each of two arms (sequences), the same in everything else."""
    unblinded: Participant | None
    """Unblinded in an emergency by ``unblinder`` (not the crawling investigator); None where
    no role may unblind (an open-label trial)."""
    unblinder: str
    moment: dt.datetime = field(default_factory=lambda: trial_clock.now().replace(
        second=0, microsecond=0))
    """When the crawls' requests happen (the clock stands still for them)."""
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Role → (username, password) of the user who reads the twins (their site's, or the
    study-wide user)."""

    def blinded_roles(self) -> list[str]:
        return [r.id for r in self.protocol.roles if not set(BLINDING) & set(r.sees)]

    def client(self, role: str) -> Client:
        username, password = self.logins[role]
        return signed_in(username, password, role)

    def user(self, role: str) -> User:
        return User.objects.get(username=self.logins[role][0])

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """A request about one twin and the same about the other meet the same trial at the
        same moment: the clock stands still and what the request wrote (its audited reads,
        a saved form) is undone after it."""
        with trial_clock.using(trial_clock.FixedClock(self.moment)), transaction.atomic():
            yield
            transaction.set_rollback(True)



def signed_in(username: str, password: str, role: str) -> Client:
    """A browser signed in as the person would (second factor included), in ``role``."""
    client = Client()
    response = sign_in_page(client, username, password)
    assert response.status_code == 302, response.content[:300]
    chosen = client.post("/role/", {"role": role})
    assert chosen.status_code == 302, chosen.content[:300]
    return client


def build_world(demo: Demo, protocol_path, protocol: Protocol) -> World:
    admin = _actor(demo, next(r.id for r in protocol.roles if "manage_users" in r.can))
    site = _second_site(protocol)
    # The first user of each role (the demo makes two administrators; the first is "admin").
    logins = {s.role: (s.username, s.password) for s in reversed(demo.sign_ins)}
    team = {role: _actor(demo, role) for role in logins}
    for role in protocol.roles:
        if role.site_scoped:  # the second site's own staff
            user = do_create_user(f"{role.id.replace('_', '-')}-2", PASSWORD,
                                  f"{role.name} (site 2)", actor=admin)
            _grant(demo, user, role.id, site, admin)
            team[role.id] = actor_for(user, role.id)
            logins[role.id] = (user.get_username(), PASSWORD)
    clock = DemoClock()
    with clock.running():
        twins = _twins(protocol, protocol_path, team, logins, site, clock)
        clock.moment = dt.datetime.combine(demo.today - DAY, dt.time(15), tzinfo=dt.UTC)
        _procedure_notes(protocol, twins, team)
        _query(protocol, twins, team)
        unblinded, unblinder = _emergency_unblinding(protocol, demo, admin)
    return World(demo, protocol, site, twins, unblinded, unblinder, logins=logins)


def _grant(demo: Demo, user: User, role: str, site: str | None, admin: Actor) -> None:
    """As the server requires: an unblinded or administering role's grant is approved by the
    demo's other administrator."""
    granted = do_grant_role(user, role, site, actor=admin)
    if isinstance(granted, RoleRequest):
        second = next(s for s in demo.sign_ins if s.role == admin.role
                      and s.username != admin.name)
        do_approve_role_request(granted, second.password, actor=actor_for(
            User.objects.get(username=second.username), admin.role))


def _actor(demo: Demo, role: str) -> Actor:
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


def _second_site(protocol: Protocol) -> str:
    """The protocol's second site, or one added for the test (a registry record may list a
    single centre; a second is what an amendment adding a site would bring)."""
    if len(protocol.identity.sites) > 1:
        return protocol.identity.sites[1].id
    first = protocol.identity.sites[0]
    code = f"{first.id}-2"
    Site.objects.get_or_create(code=code, defaults={"name": f"{first.name} (second site)",
                                                    "country": first.country,
                                                    "status": "RECRUITING"})
    return code


def _unit(slot: RandomizationSlot) -> str:
    return slot.arm or slot.treatment_sequence


def _twins_needed(protocol: Protocol) -> int:
    """Candidates to randomize in a row so that both arms (sequences) are among them, whatever
    stratum they fall in: the longest run of one arm among the next free slots of any stratum,
    plus one (read from the list, which only the test may do)."""
    longest = 1
    free = RandomizationSlot.objects.filter(participant__isnull=True).order_by(
        "stratum", "sequence")
    for _, slots in itertools.groupby(free, key=lambda s: s.stratum):
        units = [_unit(s) for s in itertools.islice(slots, 16)]
        run = next((n for n in range(1, len(units)) if units[n] != units[0]), len(units))
        longest = max(longest, run)
    return longest + 1


def _twins(protocol: Protocol, protocol_path, team: dict[str, Actor],
           logins: dict[str, tuple[str, str]], site: str,
           clock: DemoClock) -> tuple[Participant, Participant]:
    story = load_story(protocol_path)
    assert protocol.randomization is not None
    part = protocol.part(protocol.randomization.part)
    first = protocol.design.parts[0].id  # a story person without a part joins the first
    person = next((p for p in story.people if (p.part or first) == part.id),
                  Person(key="twin", part=part.id))
    trial = DemoTrial(protocol, story, team, {r: pw for r, (_, pw) in logins.items()}, clock)
    trial.site, trial.numbers = site, itertools.count(501)
    today = clock.now().date()
    # Day 0 five weeks ago: the first administrations given and their visits done, later
    # visits upcoming (so the twins' pages show both).
    day0 = today - 35 * DAY
    joining = Joining(person, part, day0)
    for _ in range(_twins_needed(protocol)):
        trial.at(day0 - story.screening_days * DAY, 9, partial(trial.screen_and_join, joining))
    before = set(Participant.objects.values_list("pk", flat=True))
    trial.run_until(dt.datetime.combine(today - DAY, dt.time(12), tzinfo=dt.UTC))
    made = Participant.objects.exclude(pk__in=before).order_by("pk")
    slots = {s.participant_id: _unit(s) for s in RandomizationSlot.objects.filter(
        participant__in=made)}
    # The story may space a step over days when several candidates reach it at once, so
    # candidates further apart in the run can differ in a date: twins are a pair in different
    # arms with the same history (the first such pair), not merely the first of each arm.
    histories = {p.pk: _history(p) for p in made}
    pairs = [(a, b) for a, b in itertools.combinations(made, 2)
             if slots[a.pk] != slots[b.pk]]
    return next(((a, b) for a, b in pairs if histories[a.pk] == histories[b.pk]), pairs[0])


def _history(participant: Participant) -> tuple[object, ...]:
    """What the pages show of a participant's course, apart from who they are and their arm:
    visits with their dates, and each form's latest data."""
    visits = tuple(participant.visits.order_by("visit_id").values_list(
        "visit_id", "target_date", "earliest", "latest", "done_on", "missed"))
    latest: dict[tuple[str, str, int], str] = {}
    for record in FormRecord.objects.filter(participant=participant).order_by("pk"):
        version = record.versions.order_by("-pk").first()
        key = (record.form_id, record.visit_id or "", record.repeat_index)
        latest[key] = json.dumps(version.data if version else None, sort_keys=True,
                                 default=str)
    return (participant.consent_date, visits, tuple(sorted(latest.items())))


def _procedure_notes(protocol: Protocol, twins: tuple[Participant, ...],
                     team: dict[str, Actor]) -> None:
    """The performer writes in the record of an arm-revealing procedure what was done (real,
    sham, none): in practice the note says so, and the crawl must never show it to the blind."""
    for form in protocol.forms:
        administrations = revealing_administrations(protocol, form)
        note = next((i for i in form.items if i.type == "text" and not i.required
                     and i.derived is None), None)
        if not administrations or note is None:
            continue
        performer = team[administrations[0].performed_by]
        for twin in twins:
            for record in FormRecord.objects.filter(participant=twin, form_id=form.id):
                latest = record.versions.get(number=record.latest_version)
                done = access_procedure_type(twin, administrations[0].id, performer)
                do_save_form(twin, form.id, record.visit_id, {
                    **latest.data, note.id: f"{done} procedure, as planned"},
                    actor=performer, reason="Procedure note added",
                    repeat_index=record.repeat_index)


def _query(protocol: Protocol, twins: tuple[Participant, ...], team: dict[str, Actor]) -> None:
    """The same manual query on each twin's first form, by a site role that raises them."""
    raiser = next(r.id for r in protocol.roles if "raise_query" in r.can and r.site_scoped)
    for twin in twins:
        record = FormRecord.objects.filter(participant=twin).order_by("pk").first()
        do_raise_query(record, "", "Please confirm against the source document.",
                       actor=team[raiser])


def _emergency_unblinding(protocol: Protocol, demo: Demo,
                          admin: Actor) -> tuple[Participant | None, str]:
    """A second investigator at the first site unblinds a randomized participant there."""
    role = next((r for r in protocol.roles if "emergency_unblind" in r.can), None)
    if role is None:
        return None, ""
    first_site = protocol.identity.sites[0].id
    user = do_create_user("on-call-investigator", PASSWORD, "On-call Investigator",
                          actor=admin)
    _grant(demo, user, role.id, first_site if role.site_scoped else None, admin)
    participant = Participant.objects.filter(slot__isnull=False,
                                             site__code=first_site).order_by("pk").first()
    do_unblind_participant(participant, "Suspected anaphylaxis; treating physician needs "
                           "the product", PASSWORD, actor=actor_for(user, role.id))
    return participant, user.get_username()
