"""Our special-purpose, trial-design and disposition domains against CDISC's own sample
submission (the SDTM Metadata Submission Guidelines' Dataset-JSON in shared/reference-data):
a variable both have carries the sample's label and kind, appears in the sample's order, and
the sample's key variables are ours too. An independent check of names we wrote by hand."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES
from tests.unit.core.sdtm.subject_rows import context, treated
from trialkit.core.sdtm.common import Domain
from trialkit.core.sdtm.disposition import build_ds, build_ie
from trialkit.core.sdtm.special_purpose import build_dm
from trialkit.core.sdtm.subject_elements import build_se
from trialkit.core.sdtm.subject_visits import build_sv
from trialkit.core.sdtm.trial_design import build_ta, build_te, build_ti, build_tv
from trialkit.core.sdtm.trial_summary import build_ts

SAMPLE = FIXTURES / "sdtm-msg"
BUILDERS = (build_dm, build_se, build_sv, build_ie, build_ds, build_ta, build_te, build_tv,
            build_ti, build_ts)
# SDTMIG 3.4 renamed SV's timing variables when SV began to hold visits that did not take
# place; the sample follows 3.3.
RENAMED_IN_3_4 = {("SV", "SVSTDTC"), ("SV", "SVENDTC"), ("SV", "SVSTDY"), ("SV", "SVENDY")}
KINDS = {"string": "text", "date": "text", "datetime": "text", "integer": "integer",
         "float": "float", "double": "float", "decimal": "float"}


def _domains(reference_protocol) -> list[Domain]:
    ctx = context(reference_protocol, [treated(reference_protocol, 1)])
    return [d for build in BUILDERS for d in build(ctx)]


def _sample(name: str) -> list[dict]:
    path = SAMPLE / f"{name.lower()}.json"
    if not path.exists():
        pytest.fail(f"the CDISC sample has no {name}: {path}")
    return json.loads(path.read_text("utf-8"))["columns"]


def test_every_domain_has_a_sample_to_compare_with(reference_protocol) -> None:
    names = {d.name for d in _domains(reference_protocol)}
    assert names == {"DM", "SE", "SV", "IE", "DS", "TA", "TE", "TV", "TI", "TS"}
    for name in names:
        assert _sample(name)


def test_shared_variables_have_the_samples_labels_kinds_and_order(reference_protocol) -> None:
    for domain in _domains(reference_protocol):
        columns = {c["name"]: c for c in _sample(domain.name)}
        ours = [v for v in domain.variables if v.name in columns]
        assert len(ours) >= 5, domain.name
        for variable in ours:
            column = columns[variable.name]
            if (domain.name, variable.name) not in RENAMED_IN_3_4:
                assert variable.label == column["label"], (domain.name, variable.name)
            assert variable.kind == KINDS[column["dataType"]], (domain.name, variable.name)
        order = [name for name in columns if name in {v.name for v in ours}]
        assert [v.name for v in ours] == order, domain.name


def test_the_samples_required_keys_are_ours(reference_protocol) -> None:
    for domain in _domains(reference_protocol):
        sample_keys = [c["name"] for c in sorted(
            (c for c in _sample(domain.name) if "keySequence" in c),
            key=lambda c: c["keySequence"])]
        optional = {"TIVERS", "TSVAL", "SVSTDTC"}  # a version we do not keep; non-keys in 3.4
        assert [k for k in sample_keys if k not in optional] == [
            k for k in domain.keys if k in sample_keys], domain.name
