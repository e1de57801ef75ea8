"""Every answer, page or API, carries a strict Content-Security-Policy and the other security
headers; a deployment's cookies are Secure, HttpOnly and SameSite, and HTTPS answers carry
HSTS. The templates hold no inline script or style, which the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.integration.conftest import PASSWORD
from tests.integration.deploy.support import production_security

WEB = Path(__file__).resolve().parents[3] / "src" / "trialkit" / "web"
ANSWERS = ["/login/", "/api/openapi.json", "/api/me", "/api/docs", "/no-such-page/"]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.parametrize("path", ANSWERS)
def test_pages_and_api_answers_carry_a_strict_policy_and_the_security_headers(study, path):
    response = Client().get(path)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert not any("unsafe" in source or "http" in source
                   for sources in policy.values() for source in sources)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_hsts_is_sent_on_https_answers_of_a_deployment(study, settings, tmp_path):
    for name, value in production_security(tmp_path).items():
        setattr(settings, name, value)
    assert Client().get("/login/", secure=True)["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"
    # Over plain HTTP a browser ignores it anyway; Django sends it on HTTPS only.
    assert "Strict-Transport-Security" not in Client().get("/login/")


def test_behind_the_proxy_plain_http_is_redirected_and_the_proxys_https_trusted(
        study, settings, tmp_path):
    for name, value in production_security(tmp_path, TRIALKIT_BEHIND_TLS_PROXY="1").items():
        setattr(settings, name, value)
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    proxied = client.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied


def test_a_deployments_cookies_are_secure_httponly_and_samesite(admin, settings, tmp_path):
    for name, value in production_security(tmp_path).items():
        setattr(settings, name, value)
    client = Client()
    csrf = client.get("/login/", secure=True).cookies["csrftoken"]
    signed_in = client.post("/login/", {"username": "admin", "password": PASSWORD},
                            secure=True)
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] is True and cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)
INLINE = [
    (re.compile(r"<style\b", re.I), "style element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _inline_scripts(text: str) -> list[re.Match[str]]:
    """Script elements with code in them (JSON data blocks are not run, so not blocked)."""
    return [m for m in SCRIPT.finditer(text)
            if m.group(2).strip() and "application/json" not in m.group(1)]


def test_no_template_has_inline_script_or_style_the_policy_would_block():
    found = []
    for template in sorted(WEB.rglob("templates/**/*.html")):
        text = template.read_text()
        matches = [(m, "inline script") for m in _inline_scripts(text)]
        matches += [(m, what) for pattern, what in INLINE for m in pattern.finditer(text)]
        for match, what in matches:
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{template.relative_to(WEB)}:{line}: {what}")
    assert found == []
