"""The committee gates' stopping rules for the safety page: each declared rule's exact
P(stop | true rate) beside the count of reviewed participants with an event the rule counts.

The count is pooled over arms (the rule is about the reviewed part as a whole) and made only
of the adverse-event records the reader may read: the listing's own read
(``safety_report.adverse_events`` with ``readable_form_ids``), their latest values, and the
reviewed part's participants at the reader's sites who received the gate's administration.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.gates import CommitteeGate, CountAtLeast
from trialkit.core.simulation import gate_rules
from trialkit.web.pages import safety_report
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable_form_ids
from trialkit.web.trial.models import Administration, FormVersion, Participant, Study
from trialkit.web.trial.scope import in_scope


@dataclass(frozen=True)
class GateTable:
    committee: str
    reviews: str
    rule: str
    rows: tuple[gate_rules.StopRow, ...]
    participants: int
    """Participants of the reviewed part who have received the gating administration."""
    with_event: int
    """Of them, those with at least one event the rule counts (pooled over arms)."""
    status: gate_rules.GateStatus


def gate_tables(actor: Actor, study: Study, protocol: Protocol) -> list[GateTable]:
    """Each committee gate that declares a stopping rule: its table and the observed count."""
    readable = _readable_events(actor, study, protocol)
    tables = []
    for gate in protocol.gates.committee:
        rule = gate.stopping_rule
        if rule is None:
            continue
        reviewed = _reviewed(actor, study, gate)
        with_event = {pid for pid, form_id, values in readable
                      if pid in reviewed and gate_rules.recorded_event_qualifies(
                          rule.event, protocol.form(form_id), values)}
        participants = min(len(reviewed), rule.of_participants)
        events = min(len(with_event), participants)
        tables.append(GateTable(
            gate.committee, protocol.part(gate.reviews_part).name, _describe(rule),
            gate_rules.gate_stop_table(rule), len(reviewed), len(with_event),
            gate_rules.gate_status(rule, events, participants)))
    return tables


def _readable_events(actor: Actor, study: Study, protocol: Protocol
                     ) -> list[tuple[int, str, dict[str, object]]]:
    """(participant, form, latest values) of the adverse-event records the listing shows this
    reader (its sites, the forms it may read)."""
    shown = safety_report.adverse_events(study, protocol, actor, readable_form_ids(actor))
    versions = FormVersion.objects.filter(record_id__in=[e.record_id for e in shown]) \
        .select_related("record").order_by("record_id", "number")
    latest = {v.record_id: v for v in versions}
    return [(v.record.participant_id, v.record.form_id, dict(v.data)) for v in latest.values()]


def _reviewed(actor: Actor, study: Study, gate: CommitteeGate) -> set[int]:
    enrolled = in_scope(actor, Participant.objects.filter(
        study__protocol_id=study.protocol_id, part=gate.reviews_part,
        sequence_in_part__isnull=False))
    return set(Administration.objects.filter(
        participant__in=enrolled, administration_id=gate.after_administration)
        .values_list("participant_id", flat=True))


def _describe(rule: gate_rules.Rule) -> str:
    if isinstance(rule, CountAtLeast):
        return _("stop if at least %(events)s of the first %(participants)s participants "
                 "have a %(event)s") % {"events": rule.events,
                                        "participants": rule.of_participants,
                                        "event": rule.event.description}
    return _("stop at the first of %(participants)s participants at which P(rate > %(rate)s) > "
             "%(probability)s under a Beta(%(a)s, %(b)s) prior, counting %(event)s") % {
        "participants": rule.of_participants, "rate": f"{rule.threshold_rate:g}",
        "probability": f"{rule.probability:g}", "a": f"{rule.prior.a:g}",
        "b": f"{rule.prior.b:g}", "event": rule.event.description}
