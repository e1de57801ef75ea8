"""Browser fixtures: the live server, Debian's Chromium driven by Playwright, screenshots, and
the language a journey reads the pages in.

Every test gets its own Chromium (Playwright starts each launched browser on a fresh,
temporary user-data dir) and a folder of screenshots under
test-artifacts/browser/<language>/<test>/.

A test that takes ``language`` runs once per language of the interface (support.LANGUAGES):
in English on every protocol it is parametrised with, in another language only on the
protocols that carry their own words in it (``translations:``, today the reference protocol).
A protocol without them would show its English words inside the translated pages, which the
page crawl already reads (tests/integration/pages/test_raw_code_crawl.py); the browser time
goes to the journeys a translated site is actually used in.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, connections
from playwright.sync_api import Browser, Error, Page, sync_playwright

from tests.browser.support import LANGUAGES
from tests.conftest import ROOT
from tests.integration.conftest import admin, make_actor, study  # noqa: F401  (fixtures)
from tests.protocol_cases import case_for
from trialkit.core.protocol.translations import same_language

CHROMIUM = Path("/usr/bin/chromium")
# What headless Chromium needs in a container: no sandbox (no user namespaces), no GPU, and
# none of the background traffic (updates, sync, QUIC) that would reach out of the machine.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
HERE = Path(__file__).resolve().parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "language" in metafunc.fixturenames:
        metafunc.parametrize("language", LANGUAGES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A run in a language other than English, on a protocol that has no words in it, is
    deselected (the module docstring says why)."""
    dropped = [item for item in items if not _worth_running(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def _worth_running(item: pytest.Item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    language, path = params.get("language", "en"), params.get("trial_path")
    if language == "en" or path is None or HERE not in item.path.parents:
        return True
    return any(same_language(t.language, language) for t in case_for(path).protocol.translations)


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    """A Chromium of its own for the test, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: apt-get install -y chromium")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls (trial
    # state built through the actions) are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS,
                                           headless=True)
    except Error as exc:
        manager.stop()
        pytest.skip(f"Playwright could not start {CHROMIUM}: {str(exc).splitlines()[0]}")
    yield chromium
    chromium.close()
    # The test's ORM calls ran in the context Playwright's event loop keeps, where Django opened
    # a connection of its own; left open it would keep the test database from being dropped.
    connections.close_all()
    manager.stop()


@pytest.fixture
def server(request, live_server) -> str:
    """The live server's base URL, on a database the flush after the test may empty."""
    if connection.vendor == "postgresql":
        request.getfixturevalue("flushable_audit")
    return live_server.url


class Screenshots:
    """Numbered full-page screenshots of one test: ``NN-step.png``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower())}.png"
        # The whole page, taken by growing the viewport: after Playwright's full_page capture
        # the next click on a long form landed on the form instead of its Save button.
        viewport = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        assert viewport is not None
        page.set_viewport_size({"width": viewport["width"],
                                "height": max(height, viewport["height"])})
        page.screenshot(path=str(path))
        page.set_viewport_size(viewport)
        return path


@pytest.fixture
def shot(request) -> Screenshots:
    """The test's screenshots, in a folder per language: test-artifacts/browser/<language>/."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    return Screenshots(ARTIFACTS / params.get("language", "en")
                       / re.sub(r"[^\w.-]+", "_", request.node.name))
