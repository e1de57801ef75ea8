"""IE (criteria not met) and DS (milestones and disposition events) on every protocol."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.core.sdtm.subject_rows import Extra, Person, context, on, treated
from trialkit.core.adam.rows import FormRow
from trialkit.core.exchange import ScreeningRow
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import CodeListItem
from trialkit.core.sdtm.common import Domain
from trialkit.core.sdtm.disposition import build_ds, build_ie
from trialkit.core.sdtm.epochs import SCREENING
from trialkit.core.sdtm.trial_design import build_ti

pytestmark = pytest.mark.protocols()


def _one(domains) -> Domain:
    (domain,) = domains
    return domain


def _criteria(protocol: Protocol, kind: str) -> list[str]:
    return [c.id for c in protocol.eligibility.criteria if c.kind == kind]


def test_ie_records_only_the_criteria_a_subject_did_not_satisfy(trial) -> None:
    protocol = trial.protocol
    inclusions, exclusions = _criteria(protocol, "inclusion"), _criteria(protocol, "exclusion")
    statuses = dict.fromkeys(inclusions, "met") | dict.fromkeys(exclusions, "not_met")
    statuses |= {inclusions[0]: "not_met", exclusions[0]: "met", inclusions[1]: "unknown"}
    screening = ScreeningRow(1, "ineligible", statuses, on(-35))
    ctx = context(protocol, [Person(1, status="screen_failed", ended_on=on(-30))],
                  extra=Extra(screenings=[screening]))
    ie = _one(build_ie(ctx))
    assert sorted((r["IETESTCD"], r["IECAT"], r["IEORRES"], r["IESTRESC"]) for r in ie.rows) == sorted(
        [(inclusions[0], "INCLUSION", "N", "N"), (exclusions[0], "EXCLUSION", "Y", "Y")])
    assert all(r["IEDTC"] == on(-35).isoformat() and r["EPOCH"] == SCREENING for r in ie.rows)
    assert {r["IETESTCD"] for r in ie.rows} <= {r["IETESTCD"] for r in _one(build_ti(ctx)).rows}
    assert [r["IESEQ"] for r in ie.rows] == [1, 2]


def test_an_eligible_subject_has_no_ie_record(trial) -> None:
    protocol = trial.protocol
    statuses = {c.id: "met" if c.kind == "inclusion" else "not_met"
                for c in protocol.eligibility.criteria}
    ctx = context(protocol, [treated(protocol, 1)],
                  extra=Extra(screenings=[ScreeningRow(1, "eligible", statuses, on(-35))]))
    assert _one(build_ie(ctx)).rows == ()


def test_ds_has_consent_and_randomization_milestones_and_the_end(trial) -> None:
    protocol = trial.protocol
    person = treated(protocol, 1, status="completed", ended_on=on(600))
    ds = _one(build_ds(context(protocol, [person])))
    milestone = "RANDOMIZED" if person.randomized else "ENROLLED"
    assert [(r["DSDECOD"], r["DSCAT"]) for r in ds.rows] == [
        ("INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE"), (milestone, "PROTOCOL MILESTONE"),
        ("COMPLETED", "DISPOSITION EVENT")]
    assert ds.rows[0]["DSSTDTC"] == on(-40).isoformat() and ds.rows[0]["EPOCH"] == SCREENING
    assert ds.rows[-1]["DSSTDTC"] == on(600).isoformat()
    assert [r["DSSEQ"] for r in ds.rows] == [1, 2, 3]
    assert all(r["DSSTDY"] != 0 for r in ds.rows)


@pytest.mark.parametrize(("status", "decod"), [
    ("withdrawn", "WITHDRAWAL BY SUBJECT"), ("lost_to_follow_up", "LOST TO FOLLOW-UP"),
    ("died", "DEATH"), ("screen_failed", "SCREEN FAILURE")])
def test_the_end_of_participation_is_a_controlled_term(trial, status, decod) -> None:
    person = Person(1, status=status, ended_on=on(-20), end_reason="Moved abroad")
    (_consent, end) = _one(build_ds(context(trial.protocol, [person]))).rows
    assert (end["DSTERM"], end["DSDECOD"], end["DSCAT"]) == (
        "Moved abroad", decod, "DISPOSITION EVENT")


def test_a_disposition_choice_with_a_submission_value_gives_dsdecod(trial) -> None:
    protocol = trial.protocol
    form = next(f for f in protocol.forms if f.kind == "disposition")
    item = form.item_with("DS", "DSDECOD")
    assert item is not None and item.codelist is not None
    codelist = protocol.codelist(item.codelist)
    first = codelist.items[0]
    tagged = codelist.model_copy(update={"items": (CodeListItem(
        code=first.code, decode=first.decode, submission_value="PHYSICIAN DECISION"),
        *codelist.items[1:])})
    protocol = protocol.model_copy(update={"codelists": tuple(
        tagged if c.id == codelist.id else c for c in protocol.codelists)})
    term = form.item_with("DS", "DSTERM")
    data = {item.id: first.code, **({term.id: "Investigator stopped"} if term else {})}
    visit = protocol.schedule.visits[-1].id
    person = treated(protocol, 1, status="withdrawn", ended_on=on(100))
    ds = _one(build_ds(context(protocol, [person],
                               extra=Extra(forms=[FormRow(1, form.id, visit, 0, data)]))))
    end = ds.rows[-1]
    assert end["DSDECOD"] == "PHYSICIAN DECISION"
    assert end["DSTERM"] == ("Investigator stopped" if term else "PHYSICIAN DECISION")


def test_a_randomization_time_is_kept_to_the_minute(trial) -> None:
    person = treated(trial.protocol, 1, randomized=True)
    ds = _one(build_ds(context(trial.protocol, [person])))
    randomized = next(r for r in ds.rows if r["DSDECOD"] == "RANDOMIZED")
    assert randomized["DSSTDTC"] == dt.datetime.combine(on(-1), dt.time(8)).strftime(
        "%Y-%m-%dT%H:%M")
