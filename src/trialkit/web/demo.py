"""`trialkit web demo`: any protocol's trial mid-way, built through the actions as sites would.

The protocol decides the shape: its parts open in order (a sequential part one participant
after another as its rule allows, a part behind a committee gate once the committee's chair
has e-signed the opening decision), a randomized part from its released list (to arms, or to
sequences of a crossover part), doses by the roles that give them, visits with their forms,
signatures where forms need them. The story beside the protocol
(``protocols/demo/<stem>.yaml``, trialkit.web.demo_story) says who takes part and what
happens to them: their form values, adverse events (one serious, its 24-hour clock running at
the present), log entries, queries, late and missed visits, a screen failure and candidates
still in screening. Every write is an action; no row is written around them.

Past events are entered on their own dates: ``DemoClock`` makes ``django.utils.timezone.now``
the moment of each step (the mechanism the integration tests use), so gates, windows and the
audit trail see the dates a real trial would have produced. The last steps run at the real
current time, so the clocks and the visit statuses are live when the server starts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone

from trialkit.core.protocol import Protocol
from trialkit.web.demo_story import Story, load_story
from trialkit.web.demo_trial import DemoClock, DemoTrial
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
from trialkit.web.trial.actions.base import Actor, actor_for
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.study import protocol_of

PEOPLE = ("Alex Morgan", "Sam Rivera", "Jordan Lee", "Robin Okafor", "Casey Novak",
          "Taylor Brandt", "Jamie Costa", "Avery Lindqvist", "Riley Haddad", "Morgan Ito",
          "Quinn Moreau", "Drew Kowalski", "Noa Petrov", "Kim Larsen")
"""Printed names of the demo's users when the story names none."""


@dataclass(frozen=True)
class SignIn:
    role: str
    role_name: str
    username: str
    password: str
    site: str
    """Site code, or "all sites" for a study-wide role."""


@dataclass
class Demo:
    today: dt.date
    sign_ins: list[SignIn] = field(default_factory=list)


def build_demo(protocol_path: str | Path, *, limit: int | None = None) -> Demo:
    """Build the demo into an empty database; returns the sign-ins (printed by the CLI).

    The randomization list is generated as in real use, from seeds the server draws, so each
    demo has a list of its own.
    ``limit`` caps the participants of each part a committee does not review (a smaller demo
    for tests); the reviewed part is always complete, as its gate needs.
    """
    story = load_story(protocol_path)
    present = timezone.now()
    today = timezone.localdate()
    clock = DemoClock()
    demo = Demo(today=today)
    with clock.running():
        clock.moment = dt.datetime.combine(today - dt.timedelta(days=3 * 365), dt.time(9),
                                           tzinfo=dt.UTC)
        study = do_load_protocol(protocol_path, actor=None)
        protocol = protocol_of(study)
        team = _team(protocol, story, demo)
        passwords = {s.role: s.password for s in demo.sign_ins}
        trial = DemoTrial(protocol, story, team, passwords, clock)
        trial.plan(today, limit)
        trial.run_until(present - dt.timedelta(hours=6))
        clock.moment = None
        trial.events.serious_now()
    return demo


def _team(protocol: Protocol, story: Story, demo: Demo) -> dict[str, Actor]:
    """One user per protocol role, the administrator first (it creates the others)."""
    site = protocol.identity.sites[0].id
    names = story.users or list(PEOPLE)
    admin_role = next(r for r in protocol.roles if "manage_users" in r.can)
    admin_user = _user("admin", admin_role.name, demo, admin_role.id, "all sites", None, names)
    do_grant_role(admin_user, admin_role.id, None, actor=None)
    admin = actor_for(admin_user, admin_role.id)
    team = {admin_role.id: admin}
    for role in protocol.roles:
        if role.id == admin_role.id:
            continue
        where = site if role.site_scoped else None
        user = _user(role.id.replace("_", "-"), role.name, demo, role.id,
                     where or "all sites", admin, names)
        do_grant_role(user, role.id, where, actor=admin)
        team[role.id] = actor_for(user, role.id)
    return team


def _user(username: str, role_name: str, demo: Demo, role: str, site: str,
          admin: Actor | None, names: list[str]) -> User:
    password = secrets.token_urlsafe(12)
    printed_name = names[len(demo.sign_ins) % len(names)]
    user = do_create_user(username, password, printed_name, actor=admin)
    demo.sign_ins.append(SignIn(role, role_name, username, password, site))
    return user
