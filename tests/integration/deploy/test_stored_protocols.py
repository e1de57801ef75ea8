"""A release may tighten the protocol checks (docs/adr/0015): `trialkit web check` names every
stored version this release refuses, `web serve` does not start on a current version it
refuses, and `trialkit web amend` is how an administrator loads the corrected file."""

from __future__ import annotations

import pytest
import yaml
from django.utils import timezone

from tests.accounts_support import PASSWORD, current_code, enrol
from trialkit.cli.errors import UsageError
from trialkit.cli.main import main
from trialkit.web.trial.models import AuditEvent, Study
from trialkit.web.trial.study import current_study


def _refused_text(trial) -> str:
    """The protocol with its first part given an arm it does not define: what a stricter
    release would refuse in a file an older one accepted."""
    document = yaml.safe_load(trial.path.read_text(encoding="utf-8"))
    document["design"]["parts"][0]["arms"] = ["no_such_arm"]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _status(output: str, name: str) -> str:
    line = next(line for line in output.splitlines() if line.strip().split("  ")[-2:][0]
                .strip() == name or f"  {name}  " in line)
    return line.split()[0]


def test_web_check_names_a_stored_version_this_release_refuses(study, trial, capsys):
    main(["web", "check"])
    assert _status(capsys.readouterr().out, "protocol versions") == "ok"
    Study.objects.create(protocol_id=study.protocol_id, protocol_version="f" * 64,
                         protocol_text=_refused_text(trial), loaded_at=timezone.now(),
                         is_current=False)
    assert main(["web", "check"]) == 1
    out = capsys.readouterr().out
    assert _status(out, "protocol versions") == "FAIL"
    assert "1 of 2 no longer pass" in out and "ffffffffffff" in out and "no_such_arm" in out
    assert "(current)" not in out.split("protocol versions", 1)[1].splitlines()[0]


def test_serve_refuses_a_current_version_this_release_refuses(study, trial):
    from trialkit.cli.commands.web import _refuse_an_unreadable_protocol

    _refuse_an_unreadable_protocol()  # the stored version is valid: nothing to refuse
    Study.objects.filter(pk=study.pk).update(protocol_text=_refused_text(trial))
    with pytest.raises(UsageError, match=r"current protocol version cannot be served.*"
                                         r"web amend"):
        _refuse_an_unreadable_protocol()


@pytest.fixture
def amended(trial, tmp_path):
    document = yaml.safe_load(trial.path.read_text(encoding="utf-8"))
    document["design"]["parts"][-1]["enrolment_target"] += 1
    document["design"]["enrolment"]["count"] += 1
    path = tmp_path / "amendment.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def test_an_administrator_loads_an_amendment_from_the_command_line(admin, amended,
                                                                   monkeypatch, capsys):
    before = current_study().protocol_version
    enrol(admin.user)
    monkeypatch.setenv("TRIALKIT_PASSWORD", "not the password")
    monkeypatch.setenv("TRIALKIT_CODE", "000000")
    assert main(["web", "amend", "--protocol", str(amended), "--user", "admin"]) != 0
    assert "wrong username or password" in capsys.readouterr().err
    assert current_study().protocol_version == before
    assert AuditEvent.objects.filter(action="sign_in_failed", actor="admin").exists()

    monkeypatch.setenv("TRIALKIT_PASSWORD", PASSWORD)
    monkeypatch.setenv("TRIALKIT_CODE", current_code(admin.user))
    assert main(["web", "amend", "--protocol", str(amended), "--user", "admin"]) == 0
    assert "is current (loaded by admin" in capsys.readouterr().out
    now = current_study()
    assert now.protocol_version != before
    loaded = AuditEvent.objects.filter(action="load_protocol").order_by("pk").last()
    assert loaded.actor == "admin" and loaded.new["version"] == now.protocol_version


def test_amend_refuses_a_user_without_a_managing_role(admin, make_actor, amended,
                                                      monkeypatch, capsys, trial):
    blinded = next(r.id for r in trial.protocol.roles if "manage_users" not in r.can
                   and not r.sees)
    make_actor(blinded)
    user = next(u for u in __import__("django.contrib.auth.models", fromlist=["User"])
                .User.objects.exclude(username="admin"))
    monkeypatch.setenv("TRIALKIT_PASSWORD", PASSWORD)
    before = current_study().protocol_version
    assert main(["web", "amend", "--protocol", str(amended), "--user", user.username]) != 0
    assert "holds no role that may load a protocol version" in capsys.readouterr().err
    assert current_study().protocol_version == before
