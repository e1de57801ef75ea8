"""Integration fixtures: a loaded study, users in roles, and PostgreSQL-only tests."""

from __future__ import annotations

import pytest

from tests.conftest import REFERENCE_PROTOCOL

PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/integration" in str(item.fspath) or "tests/functional" in str(item.fspath):
            item.add_marker(pytest.mark.django_db(transaction=False))


@pytest.fixture
def study(db):
    from trialkit.web.trial.actions.study import do_load_protocol

    return do_load_protocol(REFERENCE_PROTOCOL, actor=None)


@pytest.fixture
def admin(study):
    from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import actor_for

    user = do_create_user("admin", PASSWORD, "Ada Admin", actor=None)
    do_grant_role(user, "administrator", None, actor=None)
    return actor_for(user, "administrator")


@pytest.fixture
def make_actor(admin):
    """``make_actor("coordinator", site="CMUH")`` → an Actor holding that role."""
    from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import actor_for

    def make(role: str, site: str | None = "CMUH", username: str | None = None):
        protocol_role = admin.protocol().role(role)
        name = username or f"{role}-{site if protocol_role.site_scoped else 'all'}"
        user = do_create_user(name, PASSWORD, name.replace("-", " ").title(), actor=admin)
        do_grant_role(user, role, site if protocol_role.site_scoped else None, actor=admin)
        return actor_for(user, role)

    return make


@pytest.fixture
def participant(study):
    """A screening candidate at CMUH (``capture_support.new_participant``)."""
    from tests.integration.capture_support import new_participant

    return new_participant()


@pytest.fixture
def coordinator(make_actor):
    return make_actor("coordinator")


@pytest.fixture
def rater(make_actor):
    return make_actor("edss_rater")


@pytest.fixture
def data_manager(make_actor):
    return make_actor("data_manager")


@pytest.fixture
def investigator(make_actor):
    return make_actor("investigator")
