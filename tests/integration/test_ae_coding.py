"""Adverse-event coding on every protocol: the sponsor's dictionary loaded (the invented fixture
in MedDRA's layout), an event coded by a coder, made stale by a changed term and coded again,
exact matches autocoded in one audited act; refusals write nothing but their refusal."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.integration.capture_support import DAY, adverse_event, new_participant
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.coding import (
    do_autocode_adverse_events,
    do_code_adverse_event,
    do_load_dictionary,
)
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.coding import awaiting, event_coding
from trialkit.web.trial.models import (
    AdverseEventCoding,
    AuditEvent,
    DictionaryTerm,
    DictionaryVersion,
    Participant,
)

pytestmark = pytest.mark.protocols()

MEDDRA = FIXTURES / "meddra"


def _coder_role(trial) -> str:
    return next(r.id for r in trial.protocol.roles if "code_terms" in r.can)


@pytest.fixture
def coder(make_actor, trial):
    return make_actor(_coder_role(trial))


@pytest.fixture
def dictionary(admin):
    return do_load_dictionary(MEDDRA, actor=admin)


@pytest.fixture
def reporter(make_actor, trial):
    return make_actor(trial.entry_role(trial.adverse_event_form), username="reporter")


def _report(trial, reporter, participant, term, record=None):
    return do_save_form(participant, trial.adverse_event_form.id, "",
                        adverse_event(trial, DAY, term=term), actor=reporter,
                        repeat_index=record.repeat_index if record else None,
                        reason="term corrected" if record else "").record


def test_loading_a_dictionary_stores_every_term_with_its_primary_path_and_audits(
        dictionary, admin):
    assert dictionary.version == "99.0" and dictionary.is_current
    assert DictionaryTerm.objects.filter(dictionary=dictionary).count() == 50
    lp = DictionaryTerm.objects.get(llt_name="Post-LP headache")
    assert (lp.pt_name, lp.soc_name) == ("Post lumbar puncture syndrome",
                                         "Injury, poisoning and procedural complications")
    [event] = AuditEvent.objects.filter(action="load_dictionary")
    assert event.new == {"dictionary": "meddra", "version": "99.0", "terms": 50}
    # The same release again changes nothing and writes nothing.
    assert do_load_dictionary(MEDDRA, actor=admin).pk == dictionary.pk
    assert AuditEvent.objects.filter(action="load_dictionary").count() == 1


def test_a_newer_version_becomes_current_and_a_bad_release_is_refused(dictionary, admin,
                                                                      tmp_path):
    newer = do_load_dictionary(MEDDRA, "99.1", actor=admin)
    assert newer.is_current and not DictionaryVersion.objects.get(pk=dictionary.pk).is_current
    (tmp_path / "soc.asc").write_text("90000001$Nervous$Nerv$\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"hlgt\.asc: missing") as refused:
        do_load_dictionary(tmp_path, "1", actor=admin)
    assert refused.value.field == "folder"


def test_the_coder_codes_an_event_and_its_pt_and_primary_soc_follow(
        trial, dictionary, participant, reporter, coder):
    record = _report(trial, reporter, participant, "Head ache")
    assert [e.record.pk for e in awaiting(coder)] == [record.pk]
    coding = do_code_adverse_event(record, "94000001", actor=coder)
    assert (coding.term.pt_name, coding.term.soc_name, coding.verbatim) == (
        "Headache", "Nervous system disorders", "Head ache")
    assert event_coding(record, trial.protocol).status == "coded"
    assert awaiting(coder) == []
    [event] = AuditEvent.objects.filter(action="code_adverse_event")
    assert event.actor == coder.name and event.old == {}
    assert event.new["llt"] == "94000001 Head ache" and event.new["verbatim"] == "Head ache"
    with pytest.raises(StateConflictError, match="already coded"):
        do_code_adverse_event(record, "94000001", actor=coder)


def test_a_changed_term_makes_the_coding_stale_until_coded_again(
        trial, dictionary, participant, reporter, coder):
    record = _report(trial, reporter, participant, "Fever")
    do_code_adverse_event(record, "94000009", actor=coder)
    _report(trial, reporter, participant, "Stomach ache", record=record)
    record.refresh_from_db()
    where = event_coding(record, trial.protocol)
    assert where.status == "stale" and where.verbatim == "Stomach ache"
    assert [e.status for e in awaiting(coder)] == ["stale"]
    recoded = do_code_adverse_event(record, "94000008", actor=coder)
    assert recoded.version.number == 2 and recoded.term.pt_name == "Abdominal pain"
    event = AuditEvent.objects.filter(action="code_adverse_event").last()
    assert event.old["pt"] == "93000006 Pyrexia"
    assert event.new["pt"] == "93000005 Abdominal pain"


def test_a_term_not_current_or_not_in_the_dictionary_is_refused(
        trial, dictionary, participant, reporter, coder):
    record = _report(trial, reporter, participant, "Febrile")
    for code in ("94000011", "12345678"):  # non-current; unknown
        with pytest.raises(InvalidInputError, match="not a current term") as refused:
            do_code_adverse_event(record, code, actor=coder)
        assert refused.value.field == "llt_code"
    assert not AdverseEventCoding.objects.exists()


def test_coding_without_a_dictionary_is_refused(trial, participant, reporter, coder):
    record = _report(trial, reporter, participant, "Fever")
    with pytest.raises(StateConflictError, match="no dictionary"):
        do_code_adverse_event(record, "94000009", actor=coder)


def test_autocoding_codes_only_exact_matches_in_one_audited_act(
        trial, dictionary, participant, reporter, coder, make_actor):
    exact = _report(trial, reporter, participant, "  fever. ")
    vague = _report(trial, reporter, participant, "felt odd")
    old_term = _report(trial, reporter, participant, "Febrile")  # non-current LLT
    locked = new_participant("S-LOCKED")
    held = _report(trial, reporter, locked, "Nausea")
    Participant.objects.filter(pk=locked.pk).update(locked_at=clock.now())
    [coding] = do_autocode_adverse_events(actor=coder)
    assert coding.record.pk == exact.pk and coding.automatic
    assert coding.term.pt_name == "Pyrexia"
    [event] = AuditEvent.objects.filter(action="autocode_adverse_events")
    assert [c["llt"] for c in event.new["coded"]] == ["94000009 Fever"]
    waiting = {e.record.pk for e in awaiting(coder)}
    assert waiting == {vague.pk, old_term.pk, held.pk}
    with pytest.raises(StateConflictError, match="matches a current term exactly"):
        do_autocode_adverse_events(actor=coder)


def test_roles_without_code_terms_may_not_code(trial, dictionary, participant, reporter,
                                               make_actor):
    record = _report(trial, reporter, participant, "Fever")
    with pytest.raises(NotPermittedError):
        do_code_adverse_event(record, "94000009", actor=reporter)
    assert not AdverseEventCoding.objects.exists()


def test_an_administrator_loads_the_dictionary_from_the_command_line(
        admin, trial, monkeypatch, capsys, make_actor, tmp_path):
    from tests.accounts_support import PASSWORD, current_code, enrol
    from trialkit.cli.main import main

    enrol(admin.user)
    monkeypatch.setenv("TRIALKIT_PASSWORD", PASSWORD)
    monkeypatch.setenv("TRIALKIT_CODE", current_code(admin.user))
    assert main(["coding", "load", str(MEDDRA), "--version", "99.5", "--user", "admin"]) == 0
    out = capsys.readouterr().out
    assert "50 of 50 terms written" in out
    assert "dictionary meddra 99.5 is current: 50 terms (loaded by admin" in out
    assert DictionaryVersion.objects.get(is_current=True).version == "99.5"

    coder = make_actor(_coder_role(trial))  # may code, may not load
    monkeypatch.setenv("TRIALKIT_PASSWORD", PASSWORD)
    assert main(["coding", "load", str(MEDDRA), "--user", coder.user.username]) != 0
    assert "holds no role that may load a dictionary" in capsys.readouterr().err
    assert main(["coding", "load", str(tmp_path / "nowhere"), "--user", "admin"]) != 0
    assert "not a folder" in capsys.readouterr().err


# -- the outputs: live rows feed SDTM AE, ADAE and the safety tables ---------------------------

def test_live_rows_carry_the_standing_coding_into_sdtm_ae_and_the_safety_table(
        trial, dictionary, participant, reporter, coder):
    from trialkit.core.adam import derive
    from trialkit.core.analysis.safety import NOT_CODED, events_by_term
    from trialkit.core.sdtm import events as sdtm_events
    from trialkit.core.sdtm.common import Context
    from trialkit.web.trial.analysis_source import trial_rows
    from trialkit.web.trial.exchange_source import exchange_rows

    coded = _report(trial, reporter, participant, "Post-LP headache")
    uncoded = _report(trial, reporter, participant, "felt odd")
    do_code_adverse_event(coded, "94000024", actor=coder)

    rows = trial_rows(clock.today())
    [coding] = rows.codings
    assert (coding.repeat, coding.pt_name, coding.soc_name, coding.dictionary) == (
        coded.repeat_index, "Post lumbar puncture syndrome",
        "Injury, poisoning and procedural complications", "MedDRA 99.0")
    ae = sdtm_events.adverse_events(Context(trial.protocol, exchange_rows(clock.today())))[0]
    by_term = {r["AETERM"]: r for r in ae.rows}
    assert by_term["Post-LP headache"]["AEDECOD"] == "Post lumbar puncture syndrome"
    assert by_term["Post-LP headache"]["AEBODSYS"] == \
        "Injury, poisoning and procedural complications"
    assert by_term["Post-LP headache"]["AELLTCD"] == 94000024
    assert by_term["felt odd"]["AEDECOD"] == "felt odd" and not by_term["felt odd"]["AEBODSYS"]

    datasets = derive(trial.protocol, rows)
    table = events_by_term(datasets.tables["ADSL"], datasets.tables["ADAE"])
    categories = {row.category for row in table.rows}
    assert ("Injury, poisoning and procedural complications",
            "Post lumbar puncture syndrome") in categories
    assert (NOT_CODED, NOT_CODED) in categories
    assert uncoded.pk != coded.pk


def test_a_stale_coding_leaves_the_event_uncoded_in_the_outputs(
        trial, dictionary, participant, reporter, coder):
    from trialkit.web.trial.analysis_source import trial_rows

    record = _report(trial, reporter, participant, "Fever")
    do_code_adverse_event(record, "94000009", actor=coder)
    assert len(trial_rows(clock.today()).codings) == 1
    _report(trial, reporter, participant, "Chills", record=record)
    assert trial_rows(clock.today()).codings == ()
