"""/api/docs works on a network with no way out: every file it loads comes from this server
(Swagger UI as shipped in the locked django-ninja wheel), none from a CDN."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.test import Client


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_api_docs_load_every_file_from_this_server():
    client = Client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    parser = _References()
    parser.feed(page.content.decode())
    assert parser.urls, "the page loads Swagger UI's script and stylesheet"
    external = [url for url in parser.urls if urlsplit(url).scheme or urlsplit(url).netloc]
    assert external == []
    scripts = [url for url in parser.urls if url.endswith(".js")]
    assert any("swagger-ui-bundle" in url for url in scripts)
    for url in parser.urls:
        served = client.get(url)
        assert served.status_code == 200, url
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body, url
    # The page's own settings point Swagger UI at this server's schema.
    assert b'"url": "/api/openapi.json"' in page.content
