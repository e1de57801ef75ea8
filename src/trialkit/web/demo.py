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
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone

from trialkit.core.protocol import Protocol
from trialkit.web.demo_story import Story, load_story
from trialkit.web.demo_trial import DemoClock, DemoTrial
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial import totp
from trialkit.web.trial.actions.accounts import (
    do_approve_role_request,
    do_create_user,
    do_grant_role,
    generate_password,
)
from trialkit.web.trial.actions.base import Actor, actor_for
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.actions.two_factor import (
    do_start_two_factor,
    do_verify_second_factor,
    second_factor_needed,
)
from trialkit.web.trial.models import RoleRequest
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
    totp_secret: str = ""
    """The second factor's secret, for a role that needs one (add it to an authenticator app)."""
    recovery_codes: tuple[str, ...] = ()
    """One-time codes that stand in for the authenticator app (for trying the demo without
    one)."""


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
        # The team's first member in each role re-enters its password (the first
        # administrator, not the second).
        passwords = {s.role: s.password for s in reversed(demo.sign_ins)}
        trial = DemoTrial(protocol, story, team, passwords, clock)
        trial.plan(today, limit)
        trial.run_until(present - dt.timedelta(hours=6))
        clock.moment = None
        trial.events.serious_now()
    return demo


def _team(protocol: Protocol, story: Story, demo: Demo) -> dict[str, Actor]:
    """One user per protocol role, the administrators first: the server's set-up makes two,
    and a grant of an unblinded role is approved by the one who did not ask for it."""
    site = protocol.identity.sites[0].id
    names = story.users or list(PEOPLE)
    admin_role = next(r for r in protocol.roles if "manage_users" in r.can)
    admin_user = _user("admin", admin_role.name, demo, admin_role.id, "all sites", None, names)
    do_grant_role(admin_user, admin_role.id, None, actor=None)
    second_user = _user("admin-2", admin_role.name, demo, admin_role.id, "all sites", None,
                        names)
    do_grant_role(second_user, admin_role.id, None, actor=None)
    admin = actor_for(admin_user, admin_role.id)
    second = actor_for(second_user, admin_role.id)
    passwords = {s.username: s.password for s in demo.sign_ins}
    team = {admin_role.id: admin}
    for role in protocol.roles:
        if role.id == admin_role.id:
            continue
        where = site if role.site_scoped else None
        user = _user(role.id.replace("_", "-"), role.name, demo, role.id,
                     where or "all sites", admin, names)
        granted = do_grant_role(user, role.id, where, actor=admin)
        if isinstance(granted, RoleRequest):
            do_approve_role_request(granted, passwords["admin-2"], actor=second)
        team[role.id] = actor_for(user, role.id)
    _enrol_second_factors(demo)
    return team


def _enrol_second_factors(demo: Demo) -> None:
    """Enrol the second factor of everyone whose roles need one, as they would at their first
    sign-in; the sign-ins printed carry the secret and the recovery codes."""
    for index, sign_in in enumerate(demo.sign_ins):
        user = User.objects.get(username=sign_in.username)
        if not second_factor_needed(user):
            continue
        secret = do_start_two_factor(user)
        code = totp.totp(totp.secret_bytes(secret), trial_clock.now())
        codes = do_verify_second_factor(user, code)
        demo.sign_ins[index] = replace(sign_in, totp_secret=secret,
                                       recovery_codes=tuple(codes))


def _user(username: str, role_name: str, demo: Demo, role: str, site: str,
          admin: Actor | None, names: list[str]) -> User:
    password = generate_password(username)
    printed_name = names[len(demo.sign_ins) % len(names)]
    user = do_create_user(username, password, printed_name, actor=admin)
    demo.sign_ins.append(SignIn(role, role_name, username, password, site))
    return user
