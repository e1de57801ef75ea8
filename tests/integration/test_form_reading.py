"""Who reads which form is the protocol's (``read_by``, ``reads``), enforced by the server in
one check (``actions.forms.may_read``) that every read path asks; a form recording a real or
sham procedure is entered only by a role that sees the procedure type and read by nobody
blinded. The crawls (tests/integration/pages/test_blinding_crawl.py,
tests/functional/test_blinding_crawl.py) walk every page and endpoint; these tests pin the
check itself and the paths that only a crawl of one role would not reach."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import DAY, new_participant
from trialkit.core.protocol.reading import SIGHTED, reads, revealing_administrations
from trialkit.web.api.redaction import MASK, redactor_for
from trialkit.web.trial.actions.base import NotFoundError, NotPermittedError
from trialkit.web.trial.actions.forms import do_save_form, may_read, readable
from trialkit.web.trial.actions.queries import do_answer_query, do_raise_query
from trialkit.web.trial.capture_queries import (
    form_versions,
    item_audit_trail,
    queries_of,
    signature_state,
    unresolved_queries_by_site,
)
from trialkit.web.trial.lookups import form_record_for, query_for
from trialkit.web.trial.models import AuditEvent, FormRecord
from trialkit.web.trial.study import protocol_of


def _revealing(trial):
    return [f for f in trial.protocol.forms if revealing_administrations(trial.protocol, f)]


def _visit(trial, form) -> str:
    return trial.visits_collecting(form)[0] if trial.visits_collecting(form) else ""


def _unread_pair(trial):
    """A site role that does not read some form which a site role enters and a site role that
    raises queries reads; with that query raiser. Not the consent form, which must say what
    the participant's consent says."""
    for role in trial.protocol.roles:
        if not role.site_scoped:
            continue
        for form in (f for f in trial.protocol.forms if f.kind != "consent"):
            raisers = [r.id for r in trial.roles("raise_query") if r.site_scoped
                       and reads(r, form)]
            if not reads(role, form) and trial.entry_roles(form) and raisers:
                return role.id, form, raisers[0]
    return None


@pytest.mark.protocols("differs_by_arm")
def test_only_a_role_that_sees_the_procedure_type_records_a_real_or_sham_procedure(
        trial, make_actor, study):
    """The finding: the blinded coordinator could record the sham puncture the protocol
    assigns to the proceduralist. Every blinded role that enters data is refused with the same
    words, which name the form and never an arm; the performer records it."""
    participant, other = new_participant(), new_participant("S-002")
    arm_words = {v.lower() for a in trial.protocol.design.arms for v in (a.id, a.label)}
    for form in _revealing(trial):
        values = trial.values(form, DAY)
        for role in trial.roles("enter_data"):
            if "procedure_type" in role.sees:
                continue
            refusals, actor = set(), make_actor(role.id, username=f"{role.id}-{form.id}")
            for someone in (participant, other):
                with pytest.raises(NotPermittedError) as refused:
                    do_save_form(someone, form.id, _visit(trial, form), values, actor=actor)
                refusals.add(refused.value.message)
            assert len(refusals) == 1, refusals  # the same words for anyone
            message = refusals.pop().lower()
            assert not {w for w in arm_words | {"sham", "real"} if f" {w} " in f" {message} "}
        performer = revealing_administrations(trial.protocol, form)[0].performed_by
        saved = do_save_form(participant, form.id, _visit(trial, form), values,
                             actor=make_actor(performer, username=f"{performer}-performs"))
        assert saved.number == 1


@pytest.mark.protocols("differs_by_arm")
def test_a_form_recording_a_real_or_sham_procedure_is_read_only_by_roles_that_know_the_arm(
        trial, make_actor, study):
    for role in trial.protocol.roles:
        actor = make_actor(role.id)
        for form in _revealing(trial):
            if may_read(actor, form):
                assert set(SIGHTED) & set(role.sees), (role.id, form.id)


@pytest.mark.protocols()
def test_a_record_of_a_form_the_role_does_not_read_answers_like_one_that_does_not_exist(
        trial, make_actor, study):
    found = _unread_pair(trial)
    assert found, f"{trial.stem}: every site role reads every form"
    role, form, raiser = found
    participant = new_participant()
    version = do_save_form(participant, form.id, _visit(trial, form), trial.values(form, DAY),
                           actor=make_actor(trial.entry_role(form)))
    record = version.record
    reader = make_actor(role, username=f"{role}-reader")
    with pytest.raises(NotFoundError) as missing:
        form_record_for(reader, FormRecord.objects.order_by("-pk").first().pk + 1000)
    for read in (lambda: form_record_for(reader, record.pk),
                 lambda: form_versions(record, actor=reader),
                 lambda: item_audit_trail(record, actor=reader),
                 lambda: signature_state(record, actor=reader),
                 lambda: queries_of(record, actor=reader)):
        with pytest.raises(NotFoundError) as refused:
            read()
        assert refused.value.message == missing.value.message
    assert not readable(reader, FormRecord.objects.filter(participant=participant)).exists()
    # A query on it is out of the reader's inbox and cannot be opened or answered.
    query = do_raise_query(record, "", "Please check against the source.",
                           actor=make_actor(raiser))
    assert not any(q.id == query.pk for views in unresolved_queries_by_site(
        actor=reader).values() for q in views)
    with pytest.raises(NotFoundError):
        query_for(reader, query.pk)
    if "answer_query" in trial.protocol.role(role).can:
        with pytest.raises(NotFoundError):
            do_answer_query(query, "Checked", actor=reader)


@pytest.mark.protocols("differs_by_arm")
def test_the_audit_trail_shows_a_blinded_auditor_where_a_form_was_saved_never_what(
        trial, make_actor, study):
    """An auditing role blind to the arm sees that the real-or-sham record was saved (who,
    when, which version), not what it says."""
    auditors = [r.id for r in trial.roles("view_audit") if not set(SIGHTED) & set(r.sees)]
    form = _revealing(trial)[0]
    performer = revealing_administrations(trial.protocol, form)[0].performed_by
    values = trial.values(form, DAY)
    do_save_form(new_participant(), form.id, _visit(trial, form), values,
                 actor=make_actor(performer))
    event = AuditEvent.objects.filter(action="save_form").order_by("-pk").first()
    assert event.new["form"] == form.id and event.new["items"]
    for role in auditors:
        shown = redactor_for(make_actor(role)).event(event)
        assert shown.new["form"] == form.id and shown.new["version"] == 1
        assert shown.new["items"] == MASK and shown.new["findings"] in (MASK, None)
    performer_view = redactor_for(make_actor(performer, username="performer-2")).event(event)
    assert performer_view.new["items"] == event.new["items"]
    assert protocol_of(study).form(form.id).read_by is not None


HINTS = ("adverse_event", "administration", "vital_signs", "laboratory")
"""Kinds of form whose content can hint at the arm (an infusion reaction, a dose record)."""


def _saved(trial, make_actor, forms):
    """A saved record of each form (form id → record), entered by a role that enters it."""
    enterers: dict = {}
    records = {}
    for n, form in enumerate(forms):
        role = trial.entry_role(form)
        if role not in enterers:
            enterers[role] = make_actor(role, username=f"enters-{role}")
        enterer = enterers[role]
        records[form.id] = do_save_form(new_participant(f"K-{n:03d}"), form.id,
                                        _visit(trial, form), trial.values(form, DAY),
                                        actor=enterer).record
    return records


@pytest.mark.protocols()
def test_a_blinded_assessor_reads_no_adverse_event_dose_vital_sign_or_laboratory_record(
        trial, make_actor, study):
    assessors = [r for r in trial.protocol.roles if r.blinded and r.reads is not None
                 and any(f.kind == "assessment" for f in trial.protocol.forms if f.id in r.reads)]
    assert assessors, f"{trial.stem}: no blinded assessor declares what it reads"
    hinting = [f for f in trial.protocol.forms if f.kind in HINTS and trial.entry_roles(f)]
    records = _saved(trial, make_actor, hinting)
    for role in assessors:
        reader = make_actor(role.id)
        for form in hinting:
            assert not may_read(reader, form), (role.id, form.id)
            with pytest.raises(NotFoundError):
                form_record_for(reader, records[form.id].pk)


@pytest.mark.protocols()
def test_an_unblinded_role_that_prepares_or_performs_reads_no_rating(trial, make_actor, study):
    knowing = {"allocation", "preparation", "procedure_type"}
    workers = [r for r in trial.protocol.roles if knowing & set(r.sees) and r.reads is not None
               and ({"prepare_kit", "perform_procedure", "record_administration"} & set(r.can))]
    assert workers, f"{trial.stem}: no unblinded preparer or performer declares what it reads"
    ratings = [f for f in trial.protocol.forms if f.kind == "assessment"]
    records = _saved(trial, make_actor, ratings)
    for role in workers:
        reader = make_actor(role.id)
        for form in ratings:
            assert not may_read(reader, form), (role.id, form.id)
            with pytest.raises(NotFoundError):
                form_record_for(reader, records[form.id].pk)
