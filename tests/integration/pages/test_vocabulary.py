"""The pages speak no trial's language of their own: every name of a role, a committee or a
workspace comes from the protocol, so no template or web module names one trial's people."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.protocol_cases import protocol_files

WEB = ROOT / "src" / "trialkit" / "web"
TRIAL_WORDS = [r"\bSMC\b", r"(?i:\bcell[- _]?lab\b)", r"\bEDSS\b", r"\bIT\b", r"\bMS\b",
               r"(?i:\bproceduralist\b)"]
"""The reference trial's vocabulary the pages once used."""


def _role_ids() -> set[str]:
    ids: set[str] = set()
    for path in protocol_files():
        ids |= {role["id"] for role in yaml.safe_load(path.read_text("utf-8")).get("roles", [])}
    return ids


def _web_sources() -> list[Path]:
    """Templates and modules of the web layer, the demo's included (its stories are data
    beside the protocols)."""
    return [p for p in sorted(WEB.rglob("*")) if p.suffix in (".html", ".py")]


@pytest.mark.parametrize("pattern", TRIAL_WORDS)
def test_no_web_template_or_module_uses_the_reference_trials_words(pattern):
    found = [str(p.relative_to(WEB)) for p in _web_sources()
             if re.search(pattern, p.read_text("utf-8"))]
    assert found == []


def test_no_template_names_a_role_of_any_protocol():
    roles = _role_ids()
    assert roles
    found = {(p.name, role) for p in _web_sources() if p.suffix == ".html"
             for role in roles
             if re.search(rf"(?<![\w-]){re.escape(role)}(?![\w-])", p.read_text("utf-8"))}
    assert found == set()


@pytest.mark.protocols()
def test_the_committee_is_named_by_the_gates_and_generically_without_one(trial):
    from trialkit.core.protocol.gates import Gates
    from trialkit.web.pages.vocabulary import committee_name, names, the_committee

    protocol = trial.protocol
    for gate in protocol.gates.committee[:1]:
        assert committee_name(protocol) == gate.committee
        assert the_committee(protocol) == f"the {gate.committee}"
    ungated = protocol.model_copy(update={"gates": Gates()})
    assert (committee_name(ungated), the_committee(ungated)) == (
        "Safety committee", "the safety committee")
    first, second, third = protocol.roles[:3]
    assert names(protocol, [first.id, second.id, first.id, third.id]) == (
        f"{first.name}, {second.name} or {third.name}")
