"""Format 2 and its evolution: the version survives model growth, format 1 upgrades losslessly."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

from tests.conftest import FIXTURES, REFERENCE_PROTOCOL, ROOT
from trialkit.core.eligibility.language import RuleContext
from trialkit.core.protocol import ProtocolError, load_protocol, parse_protocol, protocol_version
from trialkit.core.protocol.canonical import canonical_data
from trialkit.core.protocol.identity import Identity
from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.roles import Role
from trialkit.core.protocol.upgrade import UpgradeError, upgrade

FORMAT_1_FILE = FIXTURES / "protocols" / "nct05532943-format1.yaml"
MS_LIBRARY = ROOT / "protocols" / "library" / "multiple-sclerosis.yaml"
# The reference protocol's version. A change of its meaning must change this on purpose (an
# amendment; adding the site's zh-Hant translation was one: translations are approved text;
# so was annotating the dose form's "administered as planned" as EX.EXOCCUR, which the dose fills,
# naming the consent facts the consent form's items hold, which the consent fills, and
# translating the administrations' names, which the gates' sentences read, and the value
# sets' descriptions and record tables' nouns, which the eligibility explanations read, and the
# edit checks' messages, which their queries say, and the roles' descriptions and workspaces);
# a change of trialkit that re-versions it unasked is a bug (docs/adr/0007).
REFERENCE_VERSION = "d5a4313256cde58448a1f3c117a8409bf80c20fcc6f87940ad43cb781a21f051"


def test_the_reference_protocol_version_is_pinned(reference_protocol):
    assert protocol_version(reference_protocol) == REFERENCE_VERSION


class _RoleWithPager(Role):
    pager: str | None = None
    """A field a later release might add: optional, with a default."""


class _IdentityWithAcronymSource(Identity):
    acronym_source: str = "registry"


class _GrownProtocol(Protocol):
    identity: _IdentityWithAcronymSource
    roles: tuple[_RoleWithPager, ...] = ()
    archive_after_years: int = 15


def test_a_model_that_gains_optional_fields_gives_the_reference_the_same_version(
        reference_protocol):
    data = yaml.safe_load(REFERENCE_PROTOCOL.read_text(encoding="utf-8"))
    grown = _GrownProtocol.model_validate(data)
    assert protocol_version(grown) == REFERENCE_VERSION


def test_spelling_out_a_new_default_does_not_change_the_version():
    data = yaml.safe_load(REFERENCE_PROTOCOL.read_text(encoding="utf-8"))
    data["archive_after_years"] = 15
    data["roles"][0]["pager"] = None
    assert protocol_version(_GrownProtocol.model_validate(data)) == REFERENCE_VERSION


def test_setting_a_new_field_to_another_value_is_a_change_of_meaning():
    data = yaml.safe_load(REFERENCE_PROTOCOL.read_text(encoding="utf-8"))
    data["archive_after_years"] = 25
    assert protocol_version(_GrownProtocol.model_validate(data)) != REFERENCE_VERSION


def test_the_canonical_form_holds_no_default_values(reference_protocol):
    data = canonical_data(reference_protocol)
    assert "lab_tests" not in data  # an empty tuple is the default
    assert "enrolment_order" not in data["design"]["parts"][1]  # "parallel" is the default
    assert data["design"]["parts"][0]["enrolment_order"] == "sequential"


def test_a_format_1_file_is_refused_with_the_command_that_upgrades_it():
    with pytest.raises(ProtocolError) as caught:
        load_protocol(FORMAT_1_FILE)
    [problem] = caught.value.problems
    assert problem.dotted_path() == "format"
    assert "trialkit protocol upgrade" in problem.message and problem.line == 8


# --- the upgrade -------------------------------------------------------------------------------

def _format_1() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FORMAT_1_FILE.read_text(encoding="utf-8"))
    return data


def _upgraded() -> dict[str, Any]:
    data = _format_1()
    upgrade(data, yaml.safe_load(MS_LIBRARY.read_text(encoding="utf-8")))
    return data


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    """Every scalar of a YAML document by its path; list elements by id where they have one."""
    if isinstance(data, dict):
        found: dict[tuple[Any, ...], Any] = {}
        for key, value in data.items():
            found.update(_leaves(value, (*path, key)))
        return found
    if isinstance(data, list):
        found = {}
        for i, value in enumerate(data):
            key = value.get("id", i) if isinstance(value, dict) else i
            found.update(_leaves(value, (*path, key)))
        return found
    return {path: data}


def test_the_upgrade_keeps_every_value_a_format_1_file_states():
    before, after = _leaves(_format_1()), _leaves(_upgraded())
    moved = {("format",), ("design", "screening_window_days"),
             ("interpretations", "screening-window", "governs", 1)}
    lost = {path: value for path, value in before.items()
            if path not in moved and after.get(path, _MISSING) != value
            and not _derivation_input(path, value, after)}
    assert lost == {}


_MISSING = object()


def _derivation_input(path: tuple[Any, ...], value: Any, after: dict[tuple[Any, ...], Any]
                      ) -> bool:
    """A format-1 derivation input (a list element) is now the value of a named parameter."""
    if "inputs" not in path:
        return False
    inputs = path[: path.index("inputs") + 1]
    return value in {v for p, v in after.items() if p[: len(inputs)] == inputs}


def test_the_upgraded_protocol_loads_and_its_criteria_build_the_same_nodes_as_the_reference(
        reference_protocol):
    upgraded = parse_protocol(yaml.safe_dump(_upgraded(), allow_unicode=True))
    mine, theirs = RuleContext.of(upgraded), RuleContext.of(reference_protocol)
    for old, new in zip(upgraded.eligibility.criteria, reference_protocol.eligibility.criteria,
                        strict=True):
        assert old.rule is not None and new.rule is not None
        assert mine.parse(old.rule) == theirs.parse(new.rule), old.id


def test_the_upgrade_writes_out_format_1_conventions_for_adverse_events():
    forms = {form["id"]: form for form in _upgraded()["forms"]}
    ae = forms["AE"]
    assert ae["kind"] == "adverse_event" and ae["entered_by"] == ["coordinator", "investigator"]
    variables = {item["id"]: item.get("cdisc", {}).get("variable") for item in ae["items"]}
    assert variables["serious"] == "AESER" and variables["sae_death"] == "AESDTH"
    checks = {check["id"]: check for check in ae["checks"]}
    assert checks["end_date_after_onset_date"]["expression"] == "end_date >= onset_date"
    assert "sae_medically_important" in checks["serious_needs_a_criterion"]["expression"]


def test_the_upgrade_lets_roles_that_only_assess_enter_assessment_forms_only():
    forms = {form["id"]: form for form in _upgraded()["forms"]}
    assert forms["EDSS"]["kind"] == "assessment"
    assert "edss_rater" in forms["EDSS"]["entered_by"]
    assert "edss_rater" not in forms["LAB"]["entered_by"]
    assert forms["EDSS"]["items"][-1]["derived"]["inputs"]["pyramidal"] == "fs_pyramidal"


def test_the_upgrade_writes_out_who_format_1_notified():
    heard = {role["id"]: role.get("notified_of", []) for role in _upgraded()["roles"]}
    assert heard["sponsor_viewer"] == ["serious_adverse_event", "emergency_unblinding"]
    assert heard["smc_chair"] == ["serious_adverse_event", "emergency_unblinding"]
    assert heard["coordinator"] == []


def test_the_upgrade_refuses_two_screening_windows_that_disagree():
    data = _format_1()
    data["design"]["screening_window_days"] = 21
    with pytest.raises(UpgradeError, match="disagree"):
        upgrade(data)


def test_the_upgrade_refuses_a_file_that_is_not_format_1():
    data = yaml.safe_load(REFERENCE_PROTOCOL.read_text(encoding="utf-8"))
    with pytest.raises(UpgradeError, match="expected trialkit-protocol/1"):
        upgrade(data)


def test_without_the_library_the_upgraded_file_names_the_tables_format_1_had_built_in():
    data = _format_1()
    upgrade(data)
    with pytest.raises(ProtocolError, match="unknown table 'relapses'"):
        parse_protocol(yaml.safe_dump(data, allow_unicode=True))


def test_the_upgrade_command_keeps_the_authors_comments(tmp_path: Path):
    from trialkit.cli.protocol_upgrade import upgrade_file

    text, notes = upgrade_file(FORMAT_1_FILE, MS_LIBRARY)
    assert "# NCT05532943 — allogeneic umbilical-cord mesenchymal stem cells" in text
    assert "# Value sets the eligibility rules name." in text
    assert any("maps_to" in note for note in notes)
    loaded = YAML(typ="safe").load(io.StringIO(text))
    assert loaded["format"] == "trialkit-protocol/2"
