"""Accessibility: axe-core finds no serious or critical violation of a WCAG 2 A/AA rule on any
page, as every role sees it, on every protocol.

The trial is the protocol's demo (``trialkit web demo``, the page tests' smaller one), served by
the live server to Debian's Chromium. The sign-in page is checked before anyone signs in; then
each demo user (one per role) signs in, in a browser context of their own, and opens every GET
page of the page URLconf (tests/integration/pages/page_urls.py, as the page crawls find them)
for one participant of each status, and one instance of each form (each renders the same way).
Left out: a page the role may not open (403, or 404 for a record it may not see), a step that
only takes a POST (405), a file rather than a page (a PDF, a CSV), a fragment a page fetches
into itself (the live form's, which has no doctype), and a page whose markup
(its elements with their classes, roles, types and ARIA attributes, and whether they hold
text; a run of like siblings counted once) is that of a page already checked, for this role or
another: the same template showing the same parts to another role or about another record.
The test client reads every page first and sends to the browser only those whose kinds of
element (tag, class, role, type, ARIA and labelling attributes) no page sent before had: a
browser's page load costs many times a test client's, and axe's rules judge elements and
attributes, not words.

On each page axe (the axe.min.js that axe-playwright-python bundles: nothing is fetched at test
time) runs the rules tagged WCAG 2.0, 2.1 and 2.2, level A and AA. The test fails listing, for
each violation of impact serious or critical, the page, the role, the rule, its impact and the
elements (axe's selectors).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import axe_playwright_python
import pytest
from django.urls import resolve
from playwright.sync_api import Browser, BrowserContext, Error, Page, expect

from tests.browser.support import VIEWPORT, second_factor
from tests.integration.pages.page_urls import urls_about
from tests.integration.pages.support import SMALL, client_for, demo_trial
from trialkit.web.demo import SignIn
from trialkit.web.trial.models import FormRecord, Participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.protocols()]

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING = {"serious", "critical"}
RUN = """options => axe.run(document, options).then(results => results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' '))})))"""
# The page's markup without its words and ids: what axe's verdict depends on, so that a page
# shaped like one already checked need not be checked again.
MARKUP = """() => {
    const kept = a => ['class', 'role', 'type', 'tabindex', 'for', 'alt', 'title', 'lang',
                       'href', 'disabled', 'hidden'].includes(a.name) || a.name.startsWith('aria-');
    const shape = e => {
        const attrs = [...e.attributes].filter(kept).map(a => a.name + (
            ['class', 'role', 'type', 'lang'].includes(a.name) ? '=' + a.value : ''));
        const text = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        const kids = [...e.children].map(shape).filter((k, i, all) => k !== all[i - 1]);
        return `<${e.tagName}${attrs.sort().join(' ')}${text ? ' T' : ''}>${kids.join('')}`;
    };
    return shape(document.documentElement);
}"""


def test_no_page_has_a_serious_or_critical_accessibility_violation_for_any_role(
        browser, server, trial):
    demo = demo_trial(trial.path, limit=SMALL)
    urls = list(_pages())
    found: dict[str, set[str]] = {}
    checked: set[str] = set()  # the markup of every page checked
    not_pages: set[str] = set()  # routes that answered with a file or only take a POST

    context = browser.new_context(viewport=VIEWPORT, base_url=server)
    login = context.new_page()
    login.goto("/login/")
    _check(login, "anyone", found, checked)
    context.close()

    kinds_seen: set[str] = set()
    for sign_in in demo.sign_ins:
        # The test client reads each page first (a fraction of a browser's cost): only a page
        # this role may open, that is HTML, and whose kinds of element no page checked so far
        # had, goes to the browser.
        reader = client_for(demo, sign_in.role)
        to_check = []
        for url, route in urls:
            if route in not_pages:
                continue
            answer = reader.get(url)
            assert answer.status_code < 500, f"{sign_in.role} {url}: {answer.status_code}"
            if answer.status_code == 405 or (answer.status_code == 200 and not answer.get(
                    "Content-Type", "").startswith("text/html")):
                not_pages.add(route)
            if answer.status_code != 200 or route in not_pages:
                continue
            kinds = _element_kinds(answer.content.decode())
            if kinds is None or kinds in kinds_seen:
                continue
            kinds_seen.add(kinds)
            to_check.append((url, route))
        if not to_check:
            continue
        context, page = _signed_in(browser, server, sign_in)
        for url, route in to_check:
            try:
                answer = page.goto(url)
            except Error as exc:  # a download, or an error status with nothing to show
                if "Download is starting" in str(exc):
                    not_pages.add(route)
                continue
            assert answer is not None, url
            assert answer.status < 500, f"{sign_in.role} {url}: {answer.status}"
            if answer.status == 405:
                not_pages.add(route)
            if not answer.ok:  # not for this role, or a step that only takes a POST
                continue
            if not answer.headers.get("content-type", "").startswith("text/html"):
                not_pages.add(route)
                continue
            _check(page, sign_in.role, found, checked)
        context.close()
    assert found == {}, "serious or critical accessibility violations:\n" + "\n".join(
        f"{where}\n    " + "\n    ".join(sorted(problems))
        for where, problems in sorted(found.items()))


_START_TAG = re.compile(r"<([a-z][a-z0-9]*)\b([^>]*)>")
_KEPT_ATTRIBUTE = re.compile(r'\b(class|role|type|lang)="([^"]*)"|\b(aria-[a-z]+|for|alt|title|'
                             r'tabindex|disabled|hidden)\b')


def _element_kinds(html: str) -> str | None:
    """The kinds of element a page has (tag, class, role, type, ARIA and labelling attributes
    present), as a key: None for a fragment (no doctype). Two pages with the same kinds draw
    the same verdicts from axe's rules, which look at elements and attributes, not words."""
    if not html.lstrip().lower().startswith("<!doctype"):
        return None
    kinds = {tag + "".join(sorted(f"[{m.group(1) or m.group(3)}={m.group(2) or ''}]"
                                  for m in _KEPT_ATTRIBUTE.finditer(attributes)))
             for tag, attributes in _START_TAG.findall(html)}
    return hashlib.sha256("\n".join(sorted(kinds)).encode()).hexdigest()


def _pages() -> Iterator[tuple[str, str]]:
    """(URL, route name) of every GET page about one participant of each status, with one
    instance of each form (the first participant's that has it)."""
    chosen: dict[str, Participant] = {}
    for participant in Participant.objects.order_by("pk"):
        chosen.setdefault(participant.status, participant)
    forms = dict(FormRecord.objects.values_list("pk", "form_id"))
    seen: set[tuple[str, str]] = set()
    for url in dict.fromkeys(urls_about(list(chosen.values()))):
        match = resolve(url)
        route = str(match.url_name)
        form = match.kwargs.get("form_id") or forms.get(match.kwargs.get("record_id"))
        if form is not None:
            if (route, form) in seen:
                continue
            seen.add((route, form))
        yield url, route


def _signed_in(browser: Browser, base: str, sign_in: SignIn) -> tuple[BrowserContext, Page]:
    """A fresh context signed in as the demo's user (second factor included)."""
    context = browser.new_context(viewport=VIEWPORT, base_url=base)
    # Images are not fetched: axe reads the <img> element (its alt), not the picture; and the
    # analysis page's figures, fetched all at once, contend for the test's SQLite database.
    context.route("**/*.{svg,png}", lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(60_000)  # a loaded machine may take that long for a first page
    page.goto("/login/")
    page.get_by_label("Username").fill(sign_in.username)
    page.get_by_label("Password").fill(sign_in.password)
    page.get_by_role("button", name="Sign in").click()
    second_factor(page, sign_in.username)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return context, page


def _check(page: Page, who: str, found: dict[str, set[str]], checked: set[str]) -> None:
    """Inject axe into the page and run the WCAG A/AA rules (unless a page of the same markup
    was checked); note each violation that is serious or worse."""
    if page.evaluate("document.doctype === null"):  # a fragment a page fetches into itself
        return
    markup = hashlib.sha256(page.evaluate(MARKUP).encode()).hexdigest()
    if markup in checked:
        return
    checked.add(markup)
    page.evaluate(AXE)
    violations = page.evaluate(RUN, {"runOnly": {"type": "tag", "values": TAGS},
                                     "resultTypes": ["violations"]})
    path = "/" + page.url.split("//", 1)[-1].split("/", 1)[-1]
    for violation in violations:
        if violation["impact"] in FAILING:
            targets = violation["targets"]
            more = f" and {len(targets) - 5} more" if len(targets) > 5 else ""
            found.setdefault(path, set()).add(
                f"{who}: {violation['id']} ({violation['impact']}: {violation['help']}) "
                f"at {json.dumps(targets[:5])}{more}")
