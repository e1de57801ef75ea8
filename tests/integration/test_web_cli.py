"""`trialkit web init` and `trialkit web demo` run the trial their protocol file names."""

from __future__ import annotations

import pytest

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.cli.common import PROTOCOL_VARIABLE
from trialkit.cli.main import main
from trialkit.web.trial.models import Study

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("command", [["web", "init"], ["web", "demo"]])
def test_without_a_protocol_the_command_names_both_ways_to_give_one_and_changes_nothing(
        command, monkeypatch, capsys):
    monkeypatch.delenv(PROTOCOL_VARIABLE, raising=False)
    assert main(command) == 2
    error = capsys.readouterr().err
    assert "--protocol FILE" in error and PROTOCOL_VARIABLE in error
    assert not Study.objects.exists()


def test_init_loads_the_protocol_given_on_the_command_line(monkeypatch, capsys,
                                                           reference_protocol):
    monkeypatch.delenv(PROTOCOL_VARIABLE, raising=False)
    assert main(["web", "init", "--protocol", str(REFERENCE_PROTOCOL)]) == 0
    assert f"protocol {reference_protocol.identity.id} version" in capsys.readouterr().out
    assert Study.objects.get().protocol_id == reference_protocol.identity.id


def test_init_reads_the_protocol_from_the_environment(monkeypatch, reference_protocol):
    monkeypatch.setenv(PROTOCOL_VARIABLE, str(REFERENCE_PROTOCOL))
    assert main(["web", "init"]) == 0
    assert Study.objects.get().protocol_id == reference_protocol.identity.id


def test_demo_builds_the_protocols_trial_and_prints_a_sign_in_per_role(monkeypatch, capsys,
                                                                      reference_protocol, settings):
    """What `make run` does: the reference trial's demo, through the command line."""
    settings.PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher"]
    monkeypatch.delenv(PROTOCOL_VARIABLE, raising=False)
    assert main(["web", "demo", "--protocol", str(REFERENCE_PROTOCOL)]) == 0
    out = capsys.readouterr().out
    assert "Demo of the trial as of" in out
    assert all(role.name in out for role in reference_protocol.roles)
    assert Study.objects.get().protocol_id == reference_protocol.identity.id
    assert main(["web", "demo", "--protocol", str(REFERENCE_PROTOCOL)]) == 2
    assert "already holds a study" in capsys.readouterr().err


def test_init_grants_the_first_administrator_the_protocols_own_managing_role(
        monkeypatch, capsys, reference_protocol, tmp_path):
    """The role's id comes from the protocol, not from trialkit (here renamed)."""
    import yaml

    from trialkit.web.trial.models import Membership

    document = yaml.safe_load(REFERENCE_PROTOCOL.read_text(encoding="utf-8"))
    [role] = [r for r in document["roles"] if "manage_users" in r.get("can", [])]
    old_id, role["id"] = role["id"], "site_it_admin"
    for translation in document.get("translations", []):
        for kind in ("roles", "role_descriptions", "workspaces"):  # keyed by role id
            words = translation.get(kind, {})
            if old_id in words:
                words["site_it_admin"] = words.pop(old_id)
    path = tmp_path / "renamed-admin.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    monkeypatch.setenv("TRIALKIT_ADMIN_PASSWORD", "a long enough password for the test")
    assert main(["web", "init", "--protocol", str(path), "--admin", "ada"]) == 0
    assert Membership.objects.get(user__username="ada").role == "site_it_admin"
