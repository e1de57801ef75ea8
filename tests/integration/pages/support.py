"""Shared steps of the page tests: the demo trial, signed-in browsers, page text."""

from __future__ import annotations

import html
import re

from django.test import Client

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.web.demo import Demo, build_demo


def demo_trial() -> Demo:
    """The `make run` demo, built through the actions into the test database."""
    return build_demo(REFERENCE_PROTOCOL)


def signed_in(username: str, password: str, role: str | None = None) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    if role is not None and response["Location"].startswith("/role/"):
        assert client.post("/role/", {"role": role}).status_code == 302
    return client


def client_for(demo: Demo, role: str) -> Client:
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return signed_in(sign_in.username, sign_in.password)


def text_of(body: bytes) -> str:
    """What a reader gets: tags, scripts and styles removed, entities decoded, lower case."""
    text = body.decode()
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).lower()
