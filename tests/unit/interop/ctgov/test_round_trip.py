"""Export each protocol, import the record: the registry's facts survive the trip."""

from __future__ import annotations

import json

import pytest

from trialkit.core.protocol import Protocol, parse_protocol
from trialkit.interop.ctgov import read_record, skeleton_yaml, study_json

pytestmark = pytest.mark.protocols()


@pytest.fixture(scope="module")
def protocol(trial) -> Protocol:
    return trial.protocol


@pytest.fixture(scope="module")
def again(protocol) -> Protocol:
    record = read_record(study_json(protocol))
    return parse_protocol(skeleton_yaml(record))


def test_identity_survives(protocol, again):
    before, after = protocol.identity, again.identity
    assert after.id == before.id
    assert after.registry_ids == before.registry_ids
    for field in ("org_study_id", "brief_title", "official_title", "acronym", "sponsor",
                  "collaborators", "responsible_party", "conditions", "keywords",
                  "brief_summary", "detailed_description", "central_contacts", "officials"):
        assert getattr(after, field) == getattr(before, field), field


def test_status_survives(protocol, again):
    assert again.status == protocol.status


def test_design_survives_except_what_the_registry_does_not_hold(protocol, again):
    before, after = protocol.design, again.design
    for field in ("study_type", "phases", "primary_purpose", "allocation", "intervention_model",
                  "masking", "enrolment"):
        assert getattr(after, field) == getattr(before, field), field
    # Parts are the protocol's own: the record has none, so one default part holds every arm.
    # Arm ids are the protocol's too: the record holds labels, from which the importer makes ids.
    labels = {a.id: a.label for a in after.arms}
    assert [[labels[a] for a in p.arms] for p in after.parts] == [[a.label for a in before.arms]]


def test_arms_and_interventions_survive_with_their_links(protocol, again):
    def linked(p: Protocol) -> list[tuple[str, str, str, list[str]]]:
        names = {i.id: i.name for i in p.design.interventions}
        return [(a.label, a.type, a.description, [names[i] for i in a.interventions])
                for a in p.design.arms]

    assert linked(again) == linked(protocol)
    strip = [(i.name, i.type, i.description, i.other_names) for i in again.design.interventions]
    assert strip == [(i.name, i.type, i.description, i.other_names)
                     for i in protocol.design.interventions]


def test_criteria_texts_ages_and_sex_survive(protocol, again):
    # Criterion ids are the protocol's own (the record lists texts), so texts and kinds are compared.
    def texts(p: Protocol) -> list[tuple[str, str]]:
        return [(c.kind, c.text) for c in p.eligibility.criteria if c.id != "AGE"]

    assert texts(again) == texts(protocol)
    elig = protocol.eligibility
    for field in ("minimum_age_years", "maximum_age_years", "sex", "healthy_volunteers"):
        assert getattr(again.eligibility, field) == getattr(elig, field)
    assert again.eligibility.criteria[0].rule == (
        f"age >= {elig.minimum_age_years} and age <= {elig.maximum_age_years}")


def test_locations_survive_with_primary_contacts_read_back_as_plain_contacts(protocol, again):
    for before, after in zip(protocol.identity.sites, again.identity.sites, strict=True):
        for field in ("name", "city", "state", "zip", "country", "status"):
            assert getattr(after, field) == getattr(before, field), field
        # API v2 has no PRIMARY/BACKUP site-contact role, so PRIMARY comes back as CONTACT.
        assert [(c.name, "CONTACT" if c.role == "PRIMARY" else c.role)
                for c in before.contacts] == [(c.name, c.role) for c in after.contacts]


def test_a_re_export_of_the_skeleton_gives_the_same_registry_record(protocol, again):
    first = json.loads(study_json(protocol))
    assert json.loads(study_json(again)) == first
