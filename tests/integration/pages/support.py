"""Shared steps of the page tests: the demo trial, signed-in browsers, page text."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.db import transaction
from django.test import Client

if TYPE_CHECKING:
    from trialkit.web.trial.models import Participant
from django.test.utils import override_settings

from tests.accounts_support import sign_in_page
from trialkit.web.demo import Demo, build_demo
from trialkit.web.trial import clock
from trialkit.web.trial.site_time import zone_of


def site_today(site) -> dt.date:
    """Today on the site's clock: the day its pages call today (a day ahead of UTC's in the
    evening of UTC for a site east of Greenwich)."""
    return clock.now().astimezone(zone_of(site)).date()


SMALL = 4
"""Participants of each part a committee does not review, in the page tests' demo."""


def demo_trial(path: Path, limit: int | None = SMALL) -> Demo:
    """The protocol's demo (`trialkit web demo`), built through the actions into the test
    database; smaller than `make run`'s unless ``limit`` is None."""
    return build_demo(path, limit=limit)


@pytest.fixture(scope="module")
def module_demo(trial, django_db_setup, django_db_blocker) -> Iterator[Demo]:
    """The trial's demo, built once for the module in a transaction rolled back after it; each
    test runs in a savepoint inside it, so a test's own writes are undone as usual."""
    quick = override_settings(PASSWORD_HASHERS=[
        "tests.hashers.QuickArgon2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher"])
    with django_db_blocker.unblock(), quick, transaction.atomic():
        yield demo_trial(trial.path)
        transaction.set_rollback(True)


def signed_in(username: str, password: str, role: str | None = None) -> Client:
    """A browser signed in as ``username`` (with the second factor where the roles need it)."""
    client = Client()
    response = sign_in_page(client, username, password)
    assert response.status_code == 302, response.content[:500]
    if role is not None and response["Location"].startswith("/role/"):
        assert client.post("/role/", {"role": role}).status_code == 302
    return client


def client_for(demo: Demo, role: str) -> Client:
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return signed_in(sign_in.username, sign_in.password)


def readable(body: bytes) -> str:
    """A page's text as sent; a PDF download (the committee's safety report) as the text its
    pages show, so the crawls read it as they read a page (``printed``)."""
    return printed(body) if body.startswith(b"%PDF-") else body.decode()


def printed(pdf: bytes) -> str:
    """A PDF's text once, without what a page break adds: a later page's repeat of the
    report's first line, every page number, and a table heading row printed again at the top
    of a later page.

    Two records that differ only in an identifier's width (the twins' random kit codes) break
    their pages at different rows; read this way, they read the same. What a page repeats is
    found from the document itself: the lines a later page starts with that the first page
    starts with too, then the longest run of lines already printed."""
    import pypdf

    pages = [[line for line in page.extract_text().splitlines()
              if not _PAGE_NUMBER.fullmatch(line.strip())]
             for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    lines: list[str] = list(pages[0]) if pages else []
    for page in pages[1:]:
        header = next((n for n, (a, b) in enumerate(zip(page, pages[0], strict=False))
                       if a != b), min(len(page), len(pages[0])))
        rest = page[header:]
        lines += rest[_run_printed_before(rest, lines):]
    return "\n".join(lines)


_PAGE_NUMBER = re.compile(r"Page \d+/\d+")


def _run_printed_before(page: list[str], before: list[str]) -> int:
    """How many of ``page``'s first lines occur, in order and together, in ``before``."""
    text = "\n" + "\n".join(before) + "\n"
    count = 0
    while count < len(page) and "\n" + "\n".join(page[:count + 1]) + "\n" in text:
        count += 1
    return count


def text_of(body: bytes) -> str:
    """What a reader gets: tags, scripts and styles removed, entities decoded, lower case."""
    text = readable(body)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).lower()


def waiting_candidate() -> Participant:
    """The demo's candidate who is consented and eligible, waiting to join a part (its other
    consented candidate is still being screened)."""
    from trialkit.web.trial.models import Participant

    waiting, = (p for p in Participant.objects.filter(status=Participant.Status.CONSENTED)
                if getattr(p.evaluation(), "verdict", None) == "eligible")
    return waiting


def randomize_the_waiting_candidate(demo: Demo, protocol) -> object:
    """The demo's consented, evaluated candidate is randomized: a kit nobody has prepared yet."""
    from django.contrib.auth.models import User

    from trialkit.web.trial.actions.base import actor_for
    from trialkit.web.trial.actions.randomization import do_randomize_participant
    from trialkit.web.trial.models import RandomizationSlot

    role = next(r.id for r in protocol.roles if "randomize" in r.can)
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    randomizer = actor_for(User.objects.get(username=sign_in.username), role)
    waiting = waiting_candidate()
    do_randomize_participant(waiting, actor=randomizer)
    return RandomizationSlot.objects.select_related("participant").get(participant=waiting)
