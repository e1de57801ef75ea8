"""The standards exports over the API: the registry's list, each export the bytes `trialkit
export` writes for the same actor and date (a format of several files as a zip of its folder),
valid by the format's own validator; an unknown format is 404 naming it, a bad date 422 naming
the field, a role that may not export 403, audited (every answer checked against the published
schema)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.integration.standards_support import (  # noqa: F401  (locked: a fixture)
    FOLDER,
    given_arms,
    locked,
    representatives,
)
from trialkit.cli.main import main
from trialkit.interop.exports import EXPORTS
from trialkit.web.trial import clock
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols()
LIST = "/api/exports/standards"


ARMLESS = [n for n, e in EXPORTS.items() if not e.describes_arms]
NAMING_ARMS = [n for n, e in EXPORTS.items() if e.describes_arms]


def _exporter(trial, *, unblinded: bool = False) -> str:
    """A role that exports data: blinded, or given arms (see ``locked``)."""
    return next(r.id for r in trial.protocol.roles
                if "export_data" in r.can and given_arms(r) is unblinded)


def _unzipped(body: bytes, into: Path) -> Path:
    into.mkdir()  # a folder export may be empty (no participants yet): its zip holds nothing
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        archive.extractall(into)
    return into


def test_the_list_is_the_registry(trial, api, token_for):
    listed = api.get(LIST, token=token_for(_exporter(trial)))
    assert listed.status_code == 200
    assert [e["name"] for e in listed.body] == list(EXPORTS)
    for entry in listed.body:
        export = EXPORTS[entry["name"]]
        assert (entry["title"], entry["layout"], entry["needs_data"]) == (
            export.title, export.layout, export.needs_data)
        assert entry["media_type"] == ("application/zip" if export.layout == "folder"
                                       else export.media_type)


def test_the_path_parameter_is_an_enum_of_the_registry(openapi_document):
    operation = openapi_document["paths"][LIST + "/{format}"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "format")
    assert parameter["schema"]["enum"] == list(EXPORTS)


@pytest.mark.parametrize("name", representatives())
def test_each_kind_of_export_is_what_the_command_writes_for_the_same_actor_and_validates(
        trial, api, token_for, tmp_path, capsys, request, name):
    export, role = EXPORTS[name], _exporter(trial, unblinded=True)
    token = token_for(role, username="exporter")
    request.getfixturevalue("locked")  # once the study exists: the exporter is given arms
    as_of = clock.today().isoformat()
    answer = api.get(f"{LIST}/{name}?as_of={as_of}", token=token)
    assert answer.status_code == 200
    assert f"-{name}-{as_of}{export.suffix}" in answer["Content-Disposition"]
    out = tmp_path / ("cli" if export.layout == "folder" else "cli" + export.suffix)
    assert main(["export", name, "--out", str(out), "--as-of", as_of, "--quiet",
                 "--user", "exporter", "--role", role]) == 0
    capsys.readouterr()
    if export.layout == "folder":
        assert answer["Content-Type"] == "application/zip"
        got = _unzipped(answer.content, tmp_path / "api")
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        assert sorted(p.relative_to(got).as_posix() for p in got.rglob("*") if p.is_file()) \
            == files
        assert all((got / f).read_bytes() == (out / f).read_bytes() for f in files)
    else:
        assert answer["Content-Type"] == export.media_type
        got = tmp_path / ("api" + export.suffix)
        got.write_bytes(answer.content)
        assert answer.content == out.read_bytes()
    assert list(export.validate(got)) == []


def test_a_folder_export_is_one_zip_in_sorted_order_the_same_bytes_each_time(
        trial, api, token_for, monkeypatch, tmp_path):
    monkeypatch.setitem(EXPORTS, FOLDER.name, FOLDER)
    token = token_for(_exporter(trial))
    # raw: the published schema lists the registry of the running server, without this one.
    first = api.get(f"{LIST}/{FOLDER.name}", token=token, raw=True)
    again = api.get(f"{LIST}/{FOLDER.name}", token=token, raw=True)
    assert first.status_code == 200 and first["Content-Type"] == "application/zip"
    assert first.content == again.content
    names = zipfile.ZipFile(io.BytesIO(first.content)).namelist()
    assert names == sorted(names) == ["study.json", "tables/participants.json"]
    assert FOLDER.validate(_unzipped(first.content, tmp_path / "got")) == []


def test_a_download_is_in_the_audit_trail(trial, api, token_for):
    name, role = ARMLESS[0], _exporter(trial)
    as_of = clock.today().isoformat()
    before = AuditEvent.objects.filter(action="export_data").count()
    assert api.get(f"{LIST}/{name}?as_of={as_of}", token=token_for(role)).status_code == 200
    assert AuditEvent.objects.filter(action="export_data").count() == before + 1
    event = AuditEvent.objects.filter(action="export_data").order_by("-sequence").first()
    assert event.actor_role == role and event.new["export"] == f"standards export {name}"
    assert (event.new["format"], event.new["as_of"]) == (name, as_of)


def test_a_monitor_who_reviews_source_data_may_export(trial, api, token_for):
    monitors = [r.id for r in trial.protocol.roles
                if "verify_source" in r.can and "export_data" not in r.can]
    for role in monitors:
        answer = api.get(f"{LIST}/{ARMLESS[0]}", token=token_for(role))
        assert answer.status_code == 200, role


def test_an_unknown_format_is_not_found_and_named(trial, api, token_for):
    answer = api.get(f"{LIST}/no-such-format", token=token_for(_exporter(trial)))
    assert answer.status_code == 404
    assert "no-such-format" in answer.body["detail"] and answer.body["field"] == "format"


@pytest.mark.parametrize("as_of", ["yesterday", "2026-02-30", "2999-01-01"])
def test_a_bad_or_future_date_is_refused_naming_the_field(trial, api, token_for, as_of):
    answer = api.get(f"{LIST}/{next(iter(EXPORTS))}?as_of={as_of}",
                     token=token_for(_exporter(trial)))
    assert answer.status_code == 422 and answer.body["field"] == "as_of"


def test_a_role_that_may_not_export_is_refused_and_the_refusal_audited(trial, api, token_for):
    outsider = next(r.id for r in trial.protocol.roles
                    if not {"export_data", "verify_source"} & set(r.can))
    token = token_for(outsider)
    assert api.get(LIST, token=token).status_code == 403
    assert api.get(f"{LIST}/{next(iter(EXPORTS))}", token=token).status_code == 403
    refused = AuditEvent.objects.filter(action="read_refused").order_by("-sequence").first()
    assert refused.new["read"] == "export_data" and refused.actor_role == outsider


@pytest.mark.parametrize("name", NAMING_ARMS)
def test_a_blinded_exporter_is_refused_a_format_that_names_the_arms(
        trial, api, token_for, name):
    role = _exporter(trial)
    answer = api.get(f"{LIST}/{name}", token=token_for(role))
    assert answer.status_code == 403 and answer.body["field"] == "format"
    assert f"role '{role}' is blinded" in answer.body["detail"]
    refused = AuditEvent.objects.filter(action="read_refused").order_by("-sequence").first()
    assert refused.new["read"] == "export_data" and refused.actor_role == role
