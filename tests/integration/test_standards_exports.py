"""`trialkit export FORMAT` on every protocol's demo trial, for every export of the registry:
what it writes passes the format's own validator (an official schema or a validating library),
blinded and for an exporter given arms (a format naming the arms is refused to a blinded
reader); bad input is refused with exit code 2 and writes
nothing; every export is in the audit trail with its format, date and participants.

A format of several files is exercised with a test-only folder export as well, so the folder
handling (an empty --out folder, --force, nothing overwritten otherwise) is tested whatever the
registry holds today.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.integration.pages import support
from tests.integration.standards_support import (  # noqa: F401  (locked: a fixture)
    FOLDER,
    given_arms,
    locked,
    representatives,
    validate_folder,
)
from trialkit.cli.main import main
from trialkit.interop.exports import EXPORTS, Export
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.exchange_source import exchange_rows
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols()
module_demo = support.module_demo  # the demo trial, built once for the module


def _exporter(trial, demo, *, unblinded: bool) -> tuple[str, str]:
    """(username, role) of a demo user whose role exports data (or monitors), blinded or one
    given arms (a role that sees allocation, or one blinded until the lock: see ``locked``)."""
    roles = {r.id for r in trial.protocol.roles if {"export_data", "verify_source"} & set(r.can)
             and given_arms(r) is unblinded}
    sign_in = next(s for s in demo.sign_ins if s.role in roles)
    return sign_in.username, sign_in.role


def _out(tmp_path: Path, export: Export) -> Path:
    return tmp_path / (export.name if export.layout == "folder" else export.name + export.suffix)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_export_is_written_blinded_on_the_demo_trial_and_validates_unless_it_names_arms(
        trial, module_demo, tmp_path, capsys, name):
    export = EXPORTS[name]
    out = _out(tmp_path, export)
    code = main(["export", name, "--out", str(out), "--quiet"])
    printed = capsys.readouterr()
    if export.describes_arms:
        assert code == 2 and "describes the trial's arms" in printed.err
        assert not out.exists()
        return
    assert code == 0, printed.out + printed.err
    assert out.is_dir() if export.layout == "folder" else out.is_file()
    assert list(export.validate(out)) == []
    assert f"{name} as of {clock.today()}" in printed.out and "valid" in printed.out


@pytest.mark.usefixtures("locked")
@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_export_is_written_for_an_exporter_given_arms_and_validates(
        trial, module_demo, tmp_path, capsys, name):
    export = EXPORTS[name]
    out = _out(tmp_path, export)
    user, role = _exporter(trial, module_demo, unblinded=True)
    code = main(["export", name, "--out", str(out), "--quiet", "--user", user, "--role", role,
                 "--as-of", (clock.today() - dt.timedelta(days=1)).isoformat()])
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    assert list(export.validate(out)) == []


@pytest.mark.parametrize("name", [n for n, e in EXPORTS.items() if e.describes_arms])
def test_a_blinded_exporter_is_refused_a_format_that_names_the_arms(
        trial, module_demo, tmp_path, capsys, name):
    user, role = _exporter(trial, module_demo, unblinded=False)
    out = _out(tmp_path, EXPORTS[name])
    code = main(["export", name, "--out", str(out), "--quiet", "--user", user, "--role", role])
    assert code == 2 and f"role '{role}' is blinded" in capsys.readouterr().err
    assert not out.exists()


def test_the_list_names_every_export(trial, capsys):
    assert main(["export", "--list"]) == 0
    listed = capsys.readouterr().out
    assert main(["export", "list"]) == 0
    assert capsys.readouterr().out == listed
    assert all(name in listed and EXPORTS[name].title in listed for name in EXPORTS)


def test_an_unknown_format_is_refused_naming_the_known_ones(trial, tmp_path, capsys):
    code = main(["export", "no-such-format", "--out", str(tmp_path / "x")])
    error = capsys.readouterr().err
    assert code == 2 and "no-such-format" in error
    assert all(name in error for name in EXPORTS)
    assert not (tmp_path / "x").exists()


def test_an_as_of_date_in_the_future_is_refused(trial, module_demo, tmp_path, capsys):
    name = next(iter(EXPORTS))
    out = tmp_path / "future"
    tomorrow = clock.today() + dt.timedelta(days=1)
    code = main(["export", name, "--out", str(out), "--as-of", tomorrow.isoformat(), "--quiet"])
    assert code == 2 and "in the future" in capsys.readouterr().err
    assert not out.exists()


def test_a_role_that_may_not_export_is_refused(trial, module_demo, tmp_path, capsys):
    outsider = next(s for s in module_demo.sign_ins
                    if not {"export_data", "verify_source"} & set(trial.protocol.role(s.role).can))
    out = tmp_path / "refused"
    code = main(["export", next(iter(EXPORTS)), "--out", str(out), "--quiet",
                 "--user", outsider.username, "--role", outsider.role])
    assert code == 2 and "may not export data" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.usefixtures("locked")
@pytest.mark.parametrize("name", representatives())
def test_an_export_is_in_the_audit_trail_with_its_format_date_and_participants(
        trial, module_demo, tmp_path, capsys, name):
    export = EXPORTS[name]
    user, role = _exporter(trial, module_demo, unblinded=True)
    as_of = clock.today() - dt.timedelta(days=2)
    before = AuditEvent.objects.filter(action="export_data").count()
    assert main(["export", name, "--out", str(_out(tmp_path, export)), "--quiet",
                 "--user", user, "--role", role, "--as-of", as_of.isoformat()]) == 0
    assert AuditEvent.objects.filter(action="export_data").count() == before + 1
    event = AuditEvent.objects.filter(action="export_data").order_by("-sequence").first()
    assert (event.actor, event.actor_role) == (user, role)
    assert event.new["export"] == f"standards export {name}"
    assert (event.new["format"], event.new["as_of"]) == (name, as_of.isoformat())
    # The participants whose data left: those the exporter reads, none for a protocol alone.
    actor = actor_for(User.objects.get(username=user), role)
    people = len(exchange_rows(as_of, actor).trial.participants) if export.needs_data else 0
    assert event.new["rows"] == people and (people > 0) is export.needs_data


# -- a format of several files --------------------------------------------------------------

@pytest.fixture
def folder_export(monkeypatch) -> Export:
    monkeypatch.setitem(EXPORTS, FOLDER.name, FOLDER)
    return FOLDER


def test_a_folder_export_writes_a_folder_into_an_empty_out_folder(
        trial, module_demo, folder_export, tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["export", folder_export.name, "--out", str(out), "--quiet"]) == 0
    assert validate_folder(out) == []
    participants = json.loads((out / "tables" / "participants.json").read_text())
    assert participants and f"{len(participants)} participants" in capsys.readouterr().out


def test_an_out_that_is_not_empty_is_kept_unless_forced(
        trial, module_demo, folder_export, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert main(["export", folder_export.name, "--out", str(out), "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert main(["export", folder_export.name, "--out", str(out), "--quiet", "--force"]) == 0
    assert validate_folder(out) == []  # replaced: the old file is gone
    name = next(iter(EXPORTS))
    taken = tmp_path / "taken.file"
    taken.write_text("keep me")
    assert main(["export", name, "--out", str(taken), "--quiet"]) == 2
    assert taken.read_text() == "keep me"


def test_problems_the_validator_finds_are_printed_and_exit_with_1(
        trial, module_demo, tmp_path, capsys, monkeypatch):
    broken = replace(FOLDER, name="test-broken",
                     validate=lambda out: ["tables/participants.json: not allowed"])
    monkeypatch.setitem(EXPORTS, broken.name, broken)
    out = tmp_path / "broken"
    assert main(["export", broken.name, "--out", str(out), "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert f"{out}: tables/participants.json: not allowed" in printed and "1 problem" in printed


@pytest.mark.usefixtures("locked")
def test_validate_with_core_runs_the_formats_external_validator_or_says_why_it_cannot(
        trial, module_demo, tmp_path, capsys):
    """CDISC CORE is not installed here (it needs Python 3.12): the run says so and the export
    still counts; a format without an external validator refuses the option."""
    name = next(n for n, e in EXPORTS.items() if e.external_validator is not None)
    username, role = _exporter(trial, module_demo, unblinded=True)
    out = tmp_path / "with-core"
    code = main(["export", name, "--out", str(out), "--quiet", "--user", username,
                 "--role", role, "--validate-with-core", str(tmp_path / "cache")])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "CORE: CDISC CORE not available: " in printed
    plain = next(n for n, e in EXPORTS.items() if e.external_validator is None)
    code = main(["export", plain, "--out", str(tmp_path / "plain"), "--quiet",
                 "--validate-with-core", str(tmp_path / "cache")])
    assert code == 2 and "no external validator" in capsys.readouterr().err
