"""The trial database as of a date, as the neutral rows every standards export reads.

The only module that reads the database for an export (``trialkit.core.exchange``). It builds
on the analysis rows (``analysis_source.trial_rows``: participants, doses, latest form data,
periods, and allocation only for an actor who may see arms) and adds every form version with
its author, time and reason, the signatures, the visit calendar, dose times, randomizations
and the stored eligibility evaluations.

Reading is narrowed twice, so an export can never hold more than its reader may see: to the
actor's sites, and to the forms the actor reads (``readable_form_ids``). Without an actor (a
shell export with no ``--user``) the rows are blinded: no allocation, and no form that records
a procedure differing by arm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from trialkit.core.adam import ParticipantRow
from trialkit.core.eligibility.evaluation import Evaluation
from trialkit.core.exchange import (
    DoseRow,
    ExchangeRows,
    RandomizationRow,
    ScreeningRow,
    SignatureRow,
    SiteRow,
    VersionRow,
    VisitRow,
)
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.reading import revealing_administrations
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable_form_ids
from trialkit.web.trial.analysis_source import trial_rows
from trialkit.web.trial.models import (
    Administration,
    FormVersion,
    Participant,
    RandomizationSlot,
    ScheduledVisit,
    Signature,
    Site,
)
from trialkit.web.trial.study import current_study, protocol_of


def exchange_rows(as_of: dt.date, actor: Actor | None = None) -> ExchangeRows:
    """The current study's rows as of the end of ``as_of`` (UTC), as ``actor`` may see them."""
    study = current_study()
    protocol = protocol_of(study)
    trial = trial_rows(as_of, actor)
    forms = _readable_forms(protocol, actor)
    keys = {p.key for p in trial.participants}
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    trial = replace(trial, forms=tuple(f for f in trial.forms if f.form in forms),
                    codings=tuple(c for c in trial.codings if c.form in forms))
    versions = FormVersion.objects.filter(
        record__participant_id__in=keys, record__form_id__in=forms, saved_at__lt=end
    ).select_related("record").order_by("record__participant_id", "record_id", "number")
    signatures = Signature.objects.filter(
        version__record__participant_id__in=keys, version__record__form_id__in=forms,
        signed_at__lt=end).select_related("version__record", "signer__profile").order_by("pk")
    return ExchangeRows(
        trial=trial,
        sites=_sites(trial.participants),
        visits=_visits(keys, as_of),
        versions=tuple(_version(v) for v in versions),
        signatures=tuple(_signature(s) for s in signatures),
        doses=_doses(keys, end),
        randomizations=_randomizations(keys, end),
        screenings=_screenings(keys, as_of),
        protocol_version=study.protocol_version,
    )


def _readable_forms(protocol: Protocol, actor: Actor | None) -> frozenset[str]:
    if actor is not None:
        return readable_form_ids(actor)
    return frozenset(f.id for f in protocol.forms if not revealing_administrations(protocol, f))


def _sites(participants: Iterable[ParticipantRow]) -> tuple[SiteRow, ...]:
    codes = {p.site for p in participants}
    return tuple(SiteRow(s.code, s.name, s.country)
                 for s in Site.objects.filter(code__in=codes).order_by("code"))


def _visits(keys: set[int], as_of: dt.date) -> tuple[VisitRow, ...]:
    rows = []
    for v in ScheduledVisit.objects.filter(participant_id__in=keys).order_by(
            "participant_id", "pk"):
        done = v.done_on if v.done_on is not None and v.done_on <= as_of else None
        rows.append(VisitRow(v.participant_id, v.visit_id, v.target_date, v.earliest, v.latest,
                             done, v.missed and done is None, v.missed_reason if v.missed else ""))
    return tuple(rows)


def _version(v: FormVersion) -> VersionRow:
    record = v.record
    return VersionRow(record.participant_id, record.form_id, record.visit_id,
                      record.repeat_index, v.number, v.data, v.saved_by, v.saved_role,
                      v.saved_at, v.reason)


def _signature(s: Signature) -> SignatureRow:
    record = s.version.record
    return SignatureRow(record.participant_id, record.form_id, record.visit_id,
                        record.repeat_index, s.version.number, s.signer.get_username(),
                        s.printed_name, s.signer_role, s.meaning, s.signed_at)


def _doses(keys: set[int], end: dt.datetime) -> tuple[DoseRow, ...]:
    given = Administration.objects.filter(participant_id__in=keys, given_at__lt=end) \
        .select_related("recorded_by").order_by("given_at", "pk")
    return tuple(DoseRow(d.participant_id, d.administration_id, d.given_at,
                         d.recorded_by.get_username(), bool(d.override_reason)) for d in given)


def _randomizations(keys: set[int], end: dt.datetime) -> tuple[RandomizationRow, ...]:
    slots = RandomizationSlot.objects.filter(
        participant_id__in=keys, allocated_at__lt=end).select_related(
        "randomization_list").order_by("allocated_at", "pk")
    return tuple(RandomizationRow(s.participant_id, s.randomization_list.part,
                                  s.allocated_at, s.number)
                 for s in slots if s.allocated_at is not None and s.participant_id is not None)


def _screenings(keys: set[int], as_of: dt.date) -> tuple[ScreeningRow, ...]:
    rows = []
    for key, stored in Participant.objects.filter(pk__in=keys, eligibility__isnull=False) \
            .order_by("pk").values_list("pk", "eligibility"):
        evaluation = Evaluation.from_json(stored)
        if evaluation.evaluated_on > as_of:
            continue
        statuses = evaluation.engine_statuses()
        statuses.update({cid: j.status for cid, j in evaluation.judgements.items()})
        rows.append(ScreeningRow(key, evaluation.verdict, statuses, evaluation.evaluated_on))
    return tuple(rows)

