"""The data manager's exports page on every protocol: it lists every export of the registry, each
download is the file the format's validator accepts and is in the audit trail; a format that
names the arms has no link for a blinded role and is refused to it; a role that may not export
gets the usual "not permitted" and no entry in its navigation."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from tests.integration.pages.support import client_for, text_of
from tests.integration.standards_support import (  # noqa: F401  (locked: a fixture)
    given_arms,
    locked,
    representatives,
)
from trialkit.interop.exports import EXPORTS
from trialkit.web.trial import clock
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols()
EXPORTERS = {"export_data", "verify_source"}


def _role(trial, demo, *, unblinded: bool) -> str:
    return next(r.id for r in trial.protocol.roles if EXPORTERS & set(r.can)
                and given_arms(r) is unblinded and r.id in {s.role for s in demo.sign_ins})


def _links(body: bytes) -> dict[str, str]:
    """Format name → its download link on the page."""
    return {name: link.replace("&amp;", "&") for link, name in
            re.findall(r'href="(/exports/([a-z0-9-]+)\?as_of=[^"]+)"', body.decode())}


def _saved(export, body: bytes, tmp_path: Path) -> Path:
    """The download as the format's validator reads it: the file, or the zip's folder."""
    if export.layout == "folder":
        folder = tmp_path / export.name
        folder.mkdir()
        zipfile.ZipFile(io.BytesIO(body)).extractall(folder)
        return folder
    path = tmp_path / (export.name + export.suffix)
    path.write_bytes(body)
    return path


def test_the_page_lists_every_export_with_its_title_and_description(trial, module_demo):
    page = client_for(module_demo, _role(trial, module_demo, unblinded=False)).get("/exports/")
    assert page.status_code == 200
    text = text_of(page.content)
    for export in EXPORTS.values():
        assert export.title.lower() in text and export.description.lower() in text
    assert 'name="as_of"' in page.content.decode()


def test_a_blinded_exporter_downloads_every_format_but_those_that_name_the_arms(
        trial, module_demo, tmp_path):
    """Every link is offered; one format of each kind is downloaded (the same code serves all:
    tests/integration/test_standards_exports.py validates every format)."""
    role = _role(trial, module_demo, unblinded=False)
    client = client_for(module_demo, role)
    links = _links(client.get("/exports/").content)
    assert set(links) == {n for n, e in EXPORTS.items() if not e.describes_arms}
    for name in representatives():
        export = EXPORTS[name]
        if export.describes_arms:
            refused = client.get(f"/exports/{name}")
            assert refused.status_code == 403 and "blinded" in text_of(refused.content), name
            continue
        before = AuditEvent.objects.filter(action="export_data").count()
        download = client.get(links[name])
        assert download.status_code == 200, name
        assert "attachment" in download["Content-Disposition"]
        assert list(export.validate(_saved(export, download.content, tmp_path))) == [], name
        event = AuditEvent.objects.filter(action="export_data").order_by("-sequence").first()
        assert AuditEvent.objects.filter(action="export_data").count() == before + 1
        assert (event.new["export"], event.actor_role) == (f"standards export {name}", role)


@pytest.mark.usefixtures("locked")
def test_an_exporter_given_arms_downloads_the_formats_that_name_them(
        trial, module_demo, tmp_path):
    client = client_for(module_demo, _role(trial, module_demo, unblinded=True))
    links = _links(client.get("/exports/").content)
    assert set(links) == set(EXPORTS)
    for name in representatives():
        export = EXPORTS[name]
        if export.describes_arms:
            download = client.get(links[name])
            assert download.status_code == 200, name
            assert list(export.validate(_saved(export, download.content, tmp_path))) == []


def test_a_date_to_come_is_refused_naming_the_date(trial, module_demo):
    client = client_for(module_demo, _role(trial, module_demo, unblinded=False))
    later = (clock.today().replace(year=clock.today().year + 1)).isoformat()
    name = next(n for n, e in EXPORTS.items() if not e.describes_arms)
    answer = client.get(f"/exports/{name}?as_of={later}")
    assert answer.status_code == 400 and "as-of date" in text_of(answer.content)
    page = client.get(f"/exports/?as_of={later}")
    assert page.status_code == 200 and "as of today" in text_of(page.content)


def test_an_unknown_format_is_not_found(trial, module_demo):
    client = client_for(module_demo, _role(trial, module_demo, unblinded=False))
    answer = client.get("/exports/no-such-format")
    assert answer.status_code == 404 and "no-such-format" in text_of(answer.content)


def test_a_role_that_may_not_export_is_not_permitted_and_has_no_link(trial, module_demo):
    outsider = next(s.role for s in module_demo.sign_ins
                    if not EXPORTERS & set(trial.protocol.role(s.role).can))
    client = client_for(module_demo, outsider)
    page = client.get("/exports/")
    assert page.status_code == 403 and "not permitted" in text_of(page.content)
    assert client.get(f"/exports/{next(iter(EXPORTS))}").status_code == 403
    assert 'href="/exports/"' not in client.get("/").content.decode()
    exporter = client_for(module_demo, _role(trial, module_demo, unblinded=False))
    assert 'href="/exports/"' in exporter.get("/").content.decode()


def test_an_export_downloaded_from_a_chinese_page_is_the_protocols_own(trial, module_demo):
    """An export is a record: the same bytes whatever the page's language (it once took the
    translated form and item names of the page's protocol)."""
    client = client_for(module_demo, _role(trial, module_demo, unblinded=False))
    links = _links(client.get("/exports/").content)
    for name in representatives():
        if name not in links:
            continue
        english = client.get(links[name])
        client.cookies["trialkit_language"] = "zh-hant"
        chinese = client.get(links[name])
        del client.cookies["trialkit_language"]
        assert english.status_code == chinese.status_code == 200, name
        assert _stable(chinese.content) == _stable(english.content), name


def _stable(body: bytes) -> bytes | dict[str, bytes]:
    """A zip's members (their times aside), else the bytes."""
    if body[:2] != b"PK":
        return body
    archive = zipfile.ZipFile(io.BytesIO(body))
    return {n: archive.read(n) for n in archive.namelist()}
