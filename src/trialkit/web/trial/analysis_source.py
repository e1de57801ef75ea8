"""The trial database as of a date, as the neutral rows the ADaM derivation reads.

The only module that reads the database for analysis. Allocation comes through
``access_exposure`` for an actor who may see arms (``Actor.sees``: a role that sees allocation,
or one blinded until the lock once the study is locked); for anyone else, or without an actor,
the rows carry no allocation and every output is pooled. Rows are limited to the actor's sites.

"As of" a date: participants enrolled, doses given, form versions saved and periods entered by
the end of that day (UTC); a study end after it reads as ongoing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from trialkit.core.adam import (
    AdministrationRow,
    Allocation,
    CodedTermRow,
    FormRow,
    ParticipantRow,
    TrialRows,
)
from trialkit.core.protocol.forms import Item
from trialkit.web.trial.actions.base import ActionError, Actor
from trialkit.web.trial.coding import coded_forms
from trialkit.web.trial.models import (
    Administration,
    AdverseEventCoding,
    FormVersion,
    Participant,
    PeriodStart,
)
from trialkit.web.trial.scope import in_scope
from trialkit.web.trial.study import current_study, protocol_of

NOT_ENROLLED = {"screening", "screen_failed", "consented"}


def trial_rows(as_of: dt.date, actor: Actor | None = None) -> TrialRows:
    """The current study's rows as of ``as_of``, unblinded only for an actor who may see arms."""
    study = current_study()
    participants = Participant.objects.filter(study__protocol_id=study.protocol_id)
    if actor is not None:
        participants = in_scope(actor, participants)
    people = [_participant(p, as_of) for p in participants.select_related("site").order_by("pk")]
    keys = {p.key for p in people}
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    doses = tuple(AdministrationRow(d.participant_id, d.administration_id, d.given_at.date(),
                                    bool(d.override_reason))
                  for d in Administration.objects.filter(
                      participant_id__in=keys, given_at__lt=end).order_by("pk"))
    forms = _forms(keys, end)
    return TrialRows(study.protocol_id, as_of, tuple(people), doses, forms,
                     _period_starts(keys, as_of), _allocations(actor, people),
                     _codings(forms, coded_forms(protocol_of(study)), end))


def _participant(p: Participant, as_of: dt.date) -> ParticipantRow:
    enrolled = p.enrolled_at.date() if p.enrolled_at is not None else None
    if enrolled is not None and enrolled > as_of:  # not yet enrolled on that day
        return ParticipantRow(p.pk, p.screening_number, p.site.code, "consented",
                              consent_date=_by(p.consent_date, as_of))
    status = p.status
    if p.ended_on is not None and p.ended_on > as_of:
        status = "enrolled"
    return ParticipantRow(p.pk, p.screening_number, p.site.code, status,
                          p.part if enrolled else "", _by(p.consent_date, as_of), enrolled,
                          p.ended_on if p.ended_on is not None and p.ended_on <= as_of
                          else None, p.end_reason)


def _by(day: dt.date | None, as_of: dt.date) -> dt.date | None:
    return day if day is not None and day <= as_of else None


def _forms(keys: set[int], end: dt.datetime) -> tuple[FormRow, ...]:
    """The latest version of each form record saved before ``end``."""
    latest: dict[int, FormVersion] = {}
    versions = FormVersion.objects.filter(record__participant_id__in=keys, saved_at__lt=end) \
        .select_related("record").order_by("record_id", "number")
    for version in versions:
        latest[version.record_id] = version
    return tuple(FormRow(v.record.participant_id, v.record.form_id, v.record.visit_id,
                         v.record.repeat_index, v.data) for v in latest.values())


def _codings(forms: tuple[FormRow, ...], coded: dict[str, Item],
             end: dt.datetime) -> tuple[CodedTermRow, ...]:
    """The coding standing before ``end`` for each coded form row: the latest coding made by
    then, if it coded the term the row holds (a changed term leaves the event uncoded)."""
    rows = {(f.participant, f.form, f.visit, f.repeat): f for f in forms if f.form in coded}
    latest: dict[tuple[int, str, str, int], AdverseEventCoding] = {}
    for coding in AdverseEventCoding.objects.filter(
            record__participant_id__in={k[0] for k in rows}, record__form_id__in=list(coded),
            coded_at__lt=end).select_related("record", "term__dictionary").order_by(
            "coded_at", "pk"):
        r = coding.record
        latest[(r.participant_id, r.form_id, r.visit_id, r.repeat_index)] = coding
    out = []
    for key, coding in latest.items():
        row = rows.get(key)
        held = row.data.get(coded[row.form].id) if row is not None else None
        if row is None or not isinstance(held, str) or held.strip() != coding.verbatim:
            continue
        t = coding.term
        out.append(CodedTermRow(*key, f"MedDRA {t.dictionary.version}", t.llt_code,
                                t.llt_name, t.pt_code, t.pt_name, t.hlt_code, t.hlt_name,
                                t.hlgt_code, t.hlgt_name, t.soc_code, t.soc_name))
    return tuple(sorted(out, key=lambda c: (c.participant, c.form, c.visit, c.repeat)))


def _period_starts(keys: set[int], as_of: dt.date) -> dict[int, dict[str, dt.date]]:
    found: dict[int, dict[str, dt.date]] = {}
    for start in PeriodStart.objects.filter(Q(participant_id__in=keys),
                                            started_on__lte=as_of):
        found.setdefault(start.participant_id, {})[start.period_id] = start.started_on
    return found


def _allocations(actor: Actor | None, people: list[ParticipantRow]
                 ) -> dict[int, Allocation] | None:
    if actor is None:
        return None
    from trialkit.web.trial.access import access_exposure

    try:
        exposure = access_exposure(actor)
    except ActionError:  # not permitted: a pooled view, never an error
        return None
    enrolled = {p.key for p in people if p.status not in NOT_ENROLLED and p.part}
    return {key: Allocation(e.arm, e.sequence) for key, e in exposure.items()
            if key in enrolled}
