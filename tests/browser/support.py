"""Steps the browser journeys share, for any protocol and either language: signing in (with the
language cookie, or through the language picker), finding a participant and a form's history,
filling a protocol form by its labels, and looking for concealed facts in what a page shows.

The pages' words come from the catalogue the pages use (``words``), and the protocol's words
from ``Protocol.in_language``: a journey names one English string, so it finds the Chinese
element in Chinese and fails where a Chinese page shows English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.accounts_support import current_code
from tests.integration.conftest import PASSWORD
from tests.protocol_cases import TrialCase, allocation_secrets, public_texts
from trialkit.core.protocol import Protocol
from trialkit.web.trial import clock, totp

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
LANGUAGES = ("en", "zh-hant")
"""The languages the journeys run in: the values of the language cookie (settings.LANGUAGES)."""


class Words:
    """The interface's words in one language, from the catalogue the pages are rendered with.

    ``t("Save")``, ``t("open", context="query status")`` where the catalogue has a msgctxt,
    ``t("Screening %(number)s", number="S-501")`` where the page puts a value in, and
    ``t.plural(...)`` for a count. In a language other than English a string the catalogue does
    not translate is an error of the test (a typo, or a string the pages no longer say), never
    a silent match of the English word."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __repr__(self) -> str:
        return f"Words({self.language!r})"

    def __call__(self, message: str, context: str | None = None, **values: object) -> str:
        with translation.override(self.language):
            text = (translation.pgettext(context, message) if context
                    else translation.gettext(message))
        self._translated(message, text)
        return text % values if values else text

    def plural(self, singular: str, plural: str, count: int, **values: object) -> str:
        with translation.override(self.language):
            text = translation.ngettext(singular, plural, count)
        self._translated(singular if count == 1 else plural, text)
        return text % {"count": count, **values}

    def pattern(self, message: str, context: str | None = None, *, whole: bool = False,
                **values: object) -> re.Pattern[str]:
        """The translated message as a pattern: the placeholders given a value match it (a
        pattern given matches as a pattern), the others anything (a moment, a person); any run
        of spaces matches any white space."""
        text = self(message, context)
        parts = re.split(r"(%\(\w+\)[sd])", text)
        regex = "".join(
            _value_pattern(values.get(p[2:-2]))
            if re.fullmatch(r"%\(\w+\)[sd]", p) else escaped(p.replace("%%", "%"))
            for p in parts)
        regex = re.sub(r"(\\ )+| +", r"\\s+", regex)
        return re.compile(rf"^\s*{regex}\s*$" if whole else regex)

    def _translated(self, message: str, text: str) -> None:
        if self.language != settings.LANGUAGE_CODE and text == message:
            raise AssertionError(f"the catalogue has no {self.language} translation of "
                                 f"{message!r}: the test names a string the pages do not say")


def _value_pattern(value: object) -> str:
    if value is None:
        return ".+?"
    return f"(?:{value.pattern})" if isinstance(value, re.Pattern) else escaped(str(value))


@cache
def words(language: str) -> Words:
    """``t = words(language)``: ``t("Save")`` is what the pages say for "Save" in ``language``."""
    return Words(language)


def sign_in(browser: Browser, base: str, username: str, language: str = "en", *,
            picker: bool = False) -> Page:
    """A fresh browser context signed in as ``username``, on the dashboard, reading the pages
    in ``language``: its cookie set beforehand, or (``picker``) chosen with the picker at the
    top of the sign-in page, as a person does."""
    context = browser.new_context(viewport=VIEWPORT, base_url=base)
    if not picker:
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                              "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Irreversible steps ask window.confirm; the person in these journeys says yes.
    page.on("dialog", lambda dialog: dialog.accept())
    # The first page a live server answers loads templates, the protocol and its translation:
    # on a loaded machine that alone has taken longer than the default timeout.
    page.goto("/login/", timeout=60_000)
    if picker:
        choose_language(page, language)
    t = words(language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_label(t("Username")).fill(username)
    page.get_by_label(t("Password")).fill(PASSWORD)
    page.get_by_role("button", name=t("Sign in")).click()
    second_factor(page, username, language)
    expect(page.get_by_role("button", name=t("Sign out"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    return page


def choose_language(page: Page, language: str) -> None:
    """Pick ``language`` with the picker at the top of the open page (labelled in the page's
    current language), which sets the cookie and comes back to the same page."""
    current = words(page.locator("html").get_attribute("lang") or settings.LANGUAGE_CODE)
    address = page.url
    page.get_by_label(current("Language"), exact=True).select_option(language)
    page.get_by_role("button", name=current("Change language")).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.url == address, "the picker comes back to the page it was used on"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get(settings.LANGUAGE_COOKIE_NAME) == language, cookies


def second_factor(page: Page, username: str, language: str = "en") -> None:
    """A role that needs a second factor: enrol at the first sign-in (the code computed from
    the secret the page shows, as an authenticator app would), or give the current code."""
    t = words(language)
    page.wait_for_load_state()
    if "/login/enrol/" in page.url:
        secret = page.locator("#totp-secret").inner_text()
        page.get_by_label(t("Code from the app")).fill(
            totp.totp(totp.secret_bytes(secret), clock.now()))
        page.get_by_role("button", name=t("Confirm and sign in")).click()
        page.get_by_role("link", name=t("Continue")).click()
    elif "/login/code/" in page.url:
        page.get_by_label(t("Code"), exact=True).fill(
            current_code(User.objects.get(username=username)))
        page.get_by_role("button", name=t("Verify")).click()


def escaped(text: str) -> str:
    """``re.escape`` that also escapes ``/``, which Playwright's selector syntax needs."""
    return re.escape(text).replace("/", "\\/")


def label(text: str, language: str = "en") -> re.Pattern[str]:
    """An item's label exactly, with or without the "(required)" the page adds."""
    required = escaped(words(language)("(required)"))
    return re.compile(rf"^\s*{escaped(text)}( {required})?\s*$")


_SHOWN: dict[tuple[int, str], tuple[Protocol, Protocol]] = {}


def shown(protocol: Protocol, language: str) -> Protocol:
    """The protocol as the pages show it to a reader of ``language`` (its translation there)."""
    key = (id(protocol), language)
    if key not in _SHOWN or _SHOWN[key][0] is not protocol:
        _SHOWN[key] = (protocol, protocol.in_language(language))
    return _SHOWN[key][1]


def fill_form(page: Page, trial: TrialCase, form_id: str, data: Mapping[str, object],
              language: str = "en") -> None:
    """Enter item values into the open entry form, finding every control by its label (in
    ``language``: the protocol's translation of the label, the interface's Yes and No)."""
    t = words(language)
    items = {i.id: i for i in shown(trial.protocol, language).form(form_id).items}
    for item_id, value in data.items():
        item = items[item_id]
        name = label(item.label, language)
        if item.type == "boolean":
            group = page.get_by_role("group", name=name)
            group.get_by_label(t("Yes") if value else t("No"), exact=True).check()
        elif item.type == "choice":
            page.get_by_label(name).select_option(str(value))
        elif item.type == "datetime":
            page.get_by_label(name).fill(str(value)[:16])
        else:
            page.get_by_label(name).fill(str(value))


def open_form(page: Page, visit: str, name: str) -> None:
    """From a list of forms by visit (screening or participant page): the form at the visit."""
    page.get_by_role("row").filter(has=page.get_by_role("cell", name=visit, exact=True)
                                   ).get_by_role("link", name=name, exact=True).first.click()


def open_participant(page: Page, number: str, language: str = "en") -> None:
    t = words(language)
    page.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("Participants")).click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Participant %(number)s", number=number))


def open_history(page: Page, visit_name: str, name: str, language: str = "en") -> None:
    """From the participant page: the instance of a form at a visit, then its history."""
    t = words(language)
    page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=visit_name)
                                   ).get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name=t("versions, audit trail and signatures")).click()
    expect(page.get_by_role("heading", level=2, name=t("Signatures"))).to_be_visible()


def concealed_terms_in(text: str, protocol: Protocol, language: str = "en") -> set[str]:
    """Arm and sequence ids and labels, preparations and procedure types found in a page's
    visible text, after the public protocol text that names the design is removed (as
    written, and as shown in ``language``)."""
    terms = allocation_secrets(protocol) | {"real", "sham"}
    seen = re.sub(r"\s+", " ", text).lower()
    public = {*public_texts(protocol), *public_texts(shown(protocol, language))}
    for known in sorted(public, key=len, reverse=True):
        seen = seen.replace(known, " ")
    return {t for t in terms
            if re.search(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])", seen)}
