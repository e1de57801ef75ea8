"""Shared fixtures: the trial under test (every protocol in protocols/), the reference
protocol, and paths to the shared reference data.

A test that takes ``trial`` (a ``tests.protocol_cases.TrialCase``) runs on the reference
protocol, unless it (or its module) carries ``@pytest.mark.protocols(...)``: then it runs once
per protocol file in protocols/ that has every named capability (all of them when none is
named). A capability no protocol has makes one failing test that says so, rather than a test
that silently never runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from tests.protocol_cases import CAPABILITIES, TrialCase, case_for, with_capabilities
from trialkit.core.protocol import Protocol, load_protocol

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PROTOCOL = ROOT / "protocols" / "nct05532943.yaml"
REFERENCE_TEXT_PATH = REFERENCE_PROTOCOL
SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def reference_protocol() -> Protocol:
    return load_protocol(REFERENCE_PROTOCOL)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--one-protocol", action="store_true",
        help="run each protocol-parametrised test on one protocol that has what it needs (the "
             "reference protocol where it can): the PostgreSQL pass of `make test` repeats the "
             "database's behaviour, which the SQLite pass has shown on every protocol")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that reaches ``trial_path`` gets it by session-scoped parametrization, the
    unmarked ones too (with the reference protocol): the session-scoped ``trial`` built on it is
    then torn down whenever the path changes. A plain fixture for the unmarked tests beside a
    parametrized one for the marked ones would leave ``trial`` cached from whichever ran first
    on a worker (pytest keys a non-parametrized fixture's cache on nothing)."""
    if "trial_path" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("protocols")
    if marker is None:
        metafunc.parametrize("trial_path", [REFERENCE_PROTOCOL], ids=["reference"],
                             scope="session")
        return
    paths = with_capabilities(*marker.args)
    if paths and metafunc.config.getoption("one_protocol"):
        paths = [REFERENCE_PROTOCOL] if REFERENCE_PROTOCOL in paths else paths[:1]
    if paths:
        metafunc.parametrize("trial_path", paths, ids=[p.stem for p in paths], scope="session")
    else:
        wanted = " and ".join(marker.args)
        metafunc.parametrize("trial_path", [pytest.param(None, id=f"no-protocol-{wanted}")],
                             scope="session")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` (make test), the tests of a module that share a module-scoped
    fixture (a demo trial, a synthetic cohort) run on one worker, so it is built once — once
    per protocol where the module runs on every protocol; every other test goes to whichever
    worker is free."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        definitions = info.name2fixturedefs.values() if info is not None else ()
        if any(d.scope == "module" for defs in definitions for d in defs):
            callspec = getattr(item, "callspec", None)
            protocol = callspec.params.get("trial_path") if callspec is not None else None
            group = item.nodeid.split("::")[0] + (f"@{protocol.stem}" if protocol else "")
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def trial_path() -> Path:
    """The reference protocol, unless the ``protocols`` marker parametrises this."""
    return REFERENCE_PROTOCOL


@pytest.fixture(scope="session")
def trial(trial_path: Path | None, request: pytest.FixtureRequest) -> TrialCase:
    """The protocol under test, with what the tests derive from it (tests/protocol_cases.py)."""
    if trial_path is None:
        marker = request.node.get_closest_marker("protocols")
        wanted = marker.args if marker is not None else ()
        pytest.fail(f"no protocol in protocols/ has {' and '.join(wanted)}: the tests of that "
                    f"capability would never run (capabilities: {', '.join(CAPABILITIES)})")
    return case_for(trial_path)


@pytest.fixture(autouse=True)
def _quick_password_hashing(request):
    """Tests hash many passwords; a light Argon2 keeps the suite fast without changing behaviour."""
    if "settings" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher",
                                 "django.contrib.auth.hashers.Argon2PasswordHasher"]
    yield


@pytest.fixture(autouse=True)
def _interface_language_of_its_own():
    """Each test starts and ends in the default language. Django's LocaleMiddleware activates
    the language of each request in the thread that answers it and never deactivates it: after
    a test client's request in Chinese, the test's thread (and the next test on that worker)
    would read the protocol and the interface in Chinese outside any request."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def _session_var_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(autouse=True)
def _own_var_dir(_session_var_dir, monkeypatch):
    """Local state written at run time (the analysis cache, default output folders) goes to the
    session's own folder: never into the checkout's var/, where a later run (or the other
    xdist worker) would read results cached by other code."""
    from django.conf import settings

    if settings.configured:
        monkeypatch.setattr(settings, "VAR_DIR", _session_var_dir)
    yield


@pytest.fixture(autouse=True)
def _one_database_only(request):
    """``make test`` deselects these on the other database (-m); run by hand, they skip."""
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: `make test` runs these with "
                    "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trialkit when a server "
                    "is reachable")
    if request.node.get_closest_marker("sqlite") and connection.vendor != "sqlite":
        pytest.skip("about SQLite itself; `make test` runs it in its SQLite pass")


@pytest.fixture
def flushable_audit(transactional_db):
    """Let the flush after a transactional test empty the append-only audit table.

    The database refuses TRUNCATE of the audit table; the trigger is switched off just for
    that flush and back on by the post_migrate signal the flush emits when it is done.
    """
    from django.db import connection
    from django.db.models.signals import post_migrate

    trigger = "ALTER TABLE trial_auditevent {} TRIGGER trial_auditevent_no_truncate"

    def enable_again(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute(trigger.format("ENABLE"))
        post_migrate.disconnect(dispatch_uid="trialkit-audit-trigger")

    yield
    post_migrate.connect(enable_again, weak=False, dispatch_uid="trialkit-audit-trigger")
    with connection.cursor() as cursor:
        cursor.execute(trigger.format("DISABLE"))
