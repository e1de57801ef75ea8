"""Browser fixtures: the live server, Debian's Chromium driven by Playwright, screenshots.

Every test gets its own Chromium (Playwright starts each launched browser on a fresh,
temporary user-data dir) and a folder of screenshots under test-artifacts/browser/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, connections
from playwright.sync_api import Browser, Error, Page, sync_playwright

from tests.conftest import ROOT
from tests.integration.conftest import admin, make_actor, study  # noqa: F401  (fixtures)

CHROMIUM = Path("/usr/bin/chromium")
# What headless Chromium needs in a container: no sandbox (no user namespaces), no GPU, and
# none of the background traffic (updates, sync, QUIC) that would reach out of the machine.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


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
    return Screenshots(ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name))
