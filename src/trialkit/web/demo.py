"""The `make run` demo: the reference trial mid-way, built through the actions as a site would.

Phase I is complete (six participants dosed one after another under the sequential rule), the
safety committee's chair has e-signed "proceed", the randomization list is live and part of
Phase IIa is randomized and in follow-up; there are adverse events (one serious, its 24-hour
clock running), a relapse, edit-check and manual queries, a screen failure and candidates in
screening. Every write is an action; no row is written around them.

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
from trialkit.web import demo_data as data
from trialkit.web.demo_people import PHASE2A, SERIOUS_NOW
from trialkit.web.demo_trial import DemoClock, DemoTrial
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
from trialkit.web.trial.actions.base import Actor, actor_for
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.study import protocol_of


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


def build_demo(protocol_path: str | Path, *, seed: int = 20240917) -> Demo:
    """Build the demo into an empty database; returns the sign-ins (printed by the CLI).

    ``seed`` seeds the randomization list (only its SHA-256 is kept, as in real use).
    """
    present = timezone.now()
    today = timezone.localdate()
    start = today - dt.timedelta(days=430)
    clock = DemoClock()
    demo = Demo(today=today)
    with clock.running():
        clock.moment = dt.datetime.combine(start - dt.timedelta(days=90), dt.time(9),
                                           tzinfo=dt.UTC)
        study = do_load_protocol(protocol_path, actor=None)
        protocol = protocol_of(study)
        team = _team(protocol, demo)
        passwords = {s.role: s.password for s in demo.sign_ins}
        trial = DemoTrial(protocol, team, passwords, clock)
        trial.plan(start, seed, today)
        trial.run_until(present - dt.timedelta(hours=6))
        clock.moment = None
        latest = trial.participants[PHASE2A[-1].key]
        SERIOUS_NOW(trial, latest)
    return demo


def _team(protocol: Protocol, demo: Demo) -> dict[str, Actor]:
    """One user per protocol role, the administrator first (it creates the others)."""
    site = protocol.identity.sites[0].id
    admin_role = next(r for r in protocol.roles if "manage_users" in r.can)
    admin_user = _user("admin", admin_role.name, demo, admin_role.id, "all sites", None)
    do_grant_role(admin_user[0], admin_role.id, None, actor=None)
    admin = actor_for(admin_user[0], admin_role.id)
    team = {admin_role.id: admin}
    for role in protocol.roles:
        if role.id == admin_role.id:
            continue
        where = site if role.site_scoped else None
        user, _ = _user(role.id.replace("_", "-"), role.name, demo, role.id,
                        where or "all sites", admin)
        do_grant_role(user, role.id, where, actor=admin)
        team[role.id] = actor_for(user, role.id)
    return team


def _user(username: str, role_name: str, demo: Demo, role: str, site: str,
          admin: Actor | None) -> tuple[User, str]:
    password = secrets.token_urlsafe(12)
    printed_name = data.PEOPLE[len(demo.sign_ins) % len(data.PEOPLE)]
    user = do_create_user(username, password, printed_name, actor=admin)
    demo.sign_ins.append(SignIn(role, role_name, username, password, site))
    return user, password
