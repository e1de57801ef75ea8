"""The strict Content-Security-Policy breaks nothing a person sees: Chromium, which enforces
it, reports no violation on the pages of a signed-in coordinator or on /api/docs, where
Swagger UI (served by this server) draws the API's operations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import VIEWPORT, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/participants/", "/screening/", "/queries/", "/safety/"]


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    return found


def test_the_pages_and_the_api_docs_run_under_the_policy(browser, server, shot, trial,
                                                          make_actor):
    coordinator = make_actor(trial.screener)
    page = sign_in(browser, server, coordinator.name)
    violations = _violations(page)
    for path in PAGES:
        answer = page.goto(path)
        assert answer is not None and answer.ok, path
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    shot(page, "dashboard-under-the-policy")

    docs = browser.new_context(viewport=VIEWPORT, base_url=server).new_page()
    violations += _violations(docs)
    external: list[str] = []
    docs.on("request", lambda request: external.append(request.url)
            if not request.url.startswith((server, "data:")) else None)
    answer = docs.goto("/api/docs")
    assert answer is not None and "default-src 'self'" in answer.headers[
        "content-security-policy"]
    expect(docs.locator(".opblock").first).to_be_visible(timeout=20_000)
    docs.locator(".opblock-summary").first.click()
    expect(docs.get_by_role("button", name="Try it out").first).to_be_visible()
    shot(docs, "api-docs")
    assert violations == []
    assert external == []
