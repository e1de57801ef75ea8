"""Integration fixtures: the trial's study loaded, users in its roles, PostgreSQL-only tests.

``study`` loads the protocol of the ``trial`` fixture (the reference protocol unless the test
is marked ``@pytest.mark.protocols(...)``, tests/conftest.py); the role fixtures name roles by
what they do in that protocol (tests/protocol_cases.py), never by a trial's role ids.
"""

from __future__ import annotations

import pytest

PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config, items):
    for item in items:
        # Every test here may use the database; one that asks for more (transaction=True) keeps
        # its own mark, which an added one would override as the closest.
        in_scope = "tests/integration" in str(item.fspath) or "tests/functional" in str(item.fspath)
        if in_scope and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(transaction=False))


@pytest.fixture
def study(db, trial):
    from trialkit.web.trial.actions.study import do_load_protocol

    return do_load_protocol(trial.path, actor=None)


@pytest.fixture
def admin(study, trial):
    from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import actor_for

    user = do_create_user("admin", PASSWORD, "Ada Admin", actor=None)
    do_grant_role(user, trial.administrator, None, actor=None)
    return actor_for(user, trial.administrator)


@pytest.fixture
def make_actor(admin, trial):
    """``make_actor(role)`` → an Actor holding that role at the trial's first site (or study
    wide for a role that is not site-scoped); ``site=`` names another site."""
    from tests.accounts_support import grant
    from trialkit.web.trial.actions.accounts import do_create_user
    from trialkit.web.trial.actions.base import actor_for

    def make(role: str, site: str | None = None, username: str | None = None):
        site = site or trial.site
        protocol_role = admin.protocol().role(role)
        name = username or f"{role}-{site if protocol_role.site_scoped else 'all'}"
        user = do_create_user(name, PASSWORD, name.replace("-", " ").title(), actor=admin)
        # An unblinded role's grant is approved by a second administrator (tests/accounts_support)
        grant(user, role, site if protocol_role.site_scoped else None, admin=admin)
        return actor_for(user, role)

    return make


@pytest.fixture
def participant(study):
    """A screening candidate at the trial's first site, with informed consent on file
    (``capture_support.new_participant``)."""
    from tests.integration.capture_support import new_participant

    return new_participant()


@pytest.fixture
def coordinator(make_actor, trial):
    return make_actor(trial.screener)


@pytest.fixture
def data_manager(make_actor, trial):
    return make_actor(trial.data_manager)


@pytest.fixture
def investigator(make_actor, trial):
    return make_actor(trial.investigator)


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for the actions (tests/integration/journey_support.Clock)."""
    from tests.integration.journey_support import Clock

    return Clock(monkeypatch)


@pytest.fixture
def team(trial, make_actor):
    """One person in each role the trial's journeys need (journey_support.make_team)."""
    from tests.integration.journey_support import make_team

    return make_team(trial, make_actor)
