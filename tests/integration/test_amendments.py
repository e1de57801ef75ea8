"""Amendments are versions: records keep the version they were made under, the participant
says which, and the trial carries on under the new version."""

from __future__ import annotations

import pytest
import yaml

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    eligible_and_consented,
    open_randomized_part,
    register_and_screen,
)
from tests.integration.pages.support import signed_in
from trialkit.web.pages.readers import participant_summary
from trialkit.web.trial.actions.base import StateConflictError
from trialkit.web.trial.actions.participants import (
    do_evaluate_eligibility,
    eligibility_verdict,
    screened_under,
)
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
)
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.models import FormVersion, Study
from trialkit.web.trial.study import current_study

pytestmark = pytest.mark.protocols()


@pytest.fixture
def amended(trial, tmp_path):
    """The trial's protocol with its last part's target enrolment (and so the total) raised by
    one: a new version."""
    document = yaml.safe_load(trial.path.read_text(encoding="utf-8"))
    document["design"]["enrolment"]["count"] += 1
    document["design"]["parts"][-1]["enrolment_target"] += 1
    path = tmp_path / "amendment-1.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def test_a_participant_screened_before_an_amendment_shows_the_version_it_was_screened_under(
        team, clock, admin, amended):
    participant = register_and_screen("S-001", team, clock, START)
    original = current_study()
    do_load_protocol(amended, actor=admin)
    amendment = current_study()
    assert amendment.protocol_version != original.protocol_version
    participant.refresh_from_db()
    assert participant.eligibility["protocol_version"] == original.protocol_version
    assert {v.protocol_version for v in FormVersion.objects.all()} == {
        original.protocol_version}
    view = screened_under(participant)
    assert view is not None
    assert (view.amendment, view.short, view.current) == (0, original.protocol_version[:12],
                                                          False)
    assert eligibility_verdict(participant, amendment) == "not_screened"
    out = participant_summary(participant).screened_under
    assert out is not None and (out.version, out.amendment, out.current) == (
        original.protocol_version, 0, False)

    do_evaluate_eligibility(participant, START, actor=team.coordinator)
    participant.refresh_from_db()
    again = screened_under(participant)
    assert again is not None and (again.amendment, again.current) == (1, True)


def test_the_participant_page_says_which_version_the_screening_was_made_under(
        team, clock, admin, amended):
    participant = register_and_screen("S-001", team, clock, START)
    short = current_study().protocol_version[:12]
    page = f"/participants/{participant.pk}/"
    browser = signed_in(team.coordinator.name, PASSWORD)
    before = browser.get(page).content.decode()
    assert f"original version ({short})" in before and "· current" in before
    do_load_protocol(amended, actor=admin)
    after = browser.get(page).content.decode()
    assert f"original version ({short})" in after
    assert "not current: screen again before enrolment" in after
    assert f"amendment 1 ({current_study().protocol_version[:12]})" in after  # the header


@pytest.mark.protocols("randomized")
def test_the_trial_carries_on_under_an_amendment(team, clock, admin, amended):
    """The live list and any reviewed part and committee decision, all made under the original
    version, still count: a participant screened under the amendment is randomized from the
    same list."""
    opened = open_randomized_part(team, clock)
    do_load_protocol(amended, actor=admin)
    participant = eligible_and_consented("R-001", team, clock, opened.day0)
    result = do_randomize_participant(participant, actor=team.coordinator)
    assert result.new and result.randomization_number
    with pytest.raises(StateConflictError, match="live"):
        do_generate_randomization_list(actor=team.statistician)


def test_loading_an_earlier_version_again_makes_it_current_under_its_first_number(
        trial, admin, amended):
    original = current_study()
    do_load_protocol(amended, actor=admin)
    again = do_load_protocol(trial.path, actor=admin)
    assert again.pk == original.pk and current_study().pk == original.pk
    assert Study.objects.count() == 2 and Study.objects.filter(is_current=True).count() == 1
