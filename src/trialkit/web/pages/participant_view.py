"""Everything the participant page shows, read in a fixed number of queries.

Blinded facts come only from ``access`` (allocation, when the role may see it). Forms, their
queries and signatures are shown only where the role reads the form (``may_read``: a blinded
rater sees its ratings, not the adverse events or doses that could hint at the arm); the rest is
not blinded (visits, forms, doses without their content, queries, signatures, and a crossover
participant's periods: every sequence switches at the same planned visit, so the period says
nothing of the arm).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.web.pages.charts import line_chart
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import may_read, readable
from trialkit.web.trial.actions.participants import screened_under
from trialkit.web.trial.gate_facts import Periods, periods_of
from trialkit.web.trial.models import FormRecord, FormVersion, Participant, Query, Signature
from trialkit.web.trial.queries_schedule import VisitRow, deviations_of, visit_schedule
from trialkit.web.trial.source_verification import VisitVerification, visit_verification
from trialkit.web.trial.study import VersionView
from trialkit.web.trial.wording import edit_check_read


@dataclass(frozen=True)
class FormState:
    form: Form
    visit_id: str
    record: FormRecord | None
    data: dict[str, Any]
    signed: bool
    open_queries: int

    @property
    def summary(self) -> str:
        """The first few text, date and choice values, to tell log entries apart."""
        shown = [str(self.data[i.id]) for i in self.form.items
                 if i.type in ("text", "date", "choice") and self.data.get(i.id) is not None]
        return " · ".join(shown[:3])

    @property
    def state(self) -> str:
        if self.record is None or not self.record.latest_version:
            return _("not entered")
        number = {"number": self.record.latest_version}
        if self.signed:
            return _("version %(number)s, signed") % number
        if self.form.signature_required:
            return _("version %(number)s, awaiting signature") % number
        return _("version %(number)s") % number


@dataclass
class VisitLine:
    row: VisitRow
    forms: list[FormState] = field(default_factory=list)
    period: str = ""
    """The name of the crossover period the visit belongs to (blank: none)."""
    verification: VisitVerification | None = None
    """Where the source data verification of the visit's saved forms stands (None: nothing
    saved that the role reads)."""


@dataclass(frozen=True)
class QueryLine:
    """A query as the participant page lists it: where it is (form and item as the reader's
    protocol names them) and what it says, in the reader's words."""

    query: Query
    place: str
    text: str


@dataclass(frozen=True)
class ParticipantPage:
    participant: Participant
    part_name: str
    randomization: tuple[str, str] | None
    allocation: access.AllocationView | None
    visits: list[VisitLine]
    logs: dict[str, list[FormState]]
    """Repeating forms kept as logs (adverse events, relapses), by form name."""
    doses: list[Any]
    charts: list[tuple[str, Any, list[tuple[dt.date, float]]]]
    queries: list[QueryLine]
    signatures: list[Signature]
    deviations: list[Any]
    screened_under: VersionView | None
    """The protocol version of the latest screening, and whether it is still current."""
    periods: Periods | None = None


def participant_page(participant: Participant, actor: Actor) -> ParticipantPage:
    protocol = actor.protocol()
    records = list(readable(actor, FormRecord.objects.filter(participant=participant).order_by(
        "visit_id", "form_id", "repeat_index")))
    latest = {v.record_id: v for v in readable(actor, FormVersion.objects.filter(
        record__participant=participant, number=F("record__latest_version")), "record")}
    signatures = list(readable(actor, Signature.objects.filter(
        version__record__participant=participant), "version__record")
                      .select_related("version").order_by("signed_at"))
    signed = {s.version.record_id for s in signatures
              if s.version_id == getattr(latest.get(s.version.record_id), "pk", None)}
    queries = list(readable(actor, Query.objects.filter(record__participant=participant),
                            "record").select_related("record").order_by("-raised_at"))
    open_by_record: dict[int, int] = defaultdict(int)
    for query in queries:
        if query.status != Query.Status.CLOSED:
            open_by_record[query.record_id] += 1

    def state(form: Form, visit_id: str, record: FormRecord | None) -> FormState:
        version = latest.get(record.pk) if record else None
        return FormState(form, visit_id, record, dict(version.data) if version else {},
                         record is not None and record.pk in signed,
                         open_by_record[record.pk] if record else 0)

    by_place = {(r.visit_id, r.form_id): r for r in records if not protocol.form(
        r.form_id).repeating}
    verified = visit_verification(actor, participant)
    visits = [VisitLine(row, [state(protocol.form(f), row.visit_id, by_place.get(
        (row.visit_id, f))) for f in _visit_forms(protocol, row.visit_id)
        if may_read(actor, protocol.form(f))],
        _period_name(protocol, participant, row.visit_id), verified.get(row.visit_id))
        for row in visit_schedule(participant, actor)]
    logs: dict[str, list[FormState]] = defaultdict(list)
    for r in records:
        form = protocol.form(r.form_id)
        if form.repeating:
            logs[form.name].append(state(form, r.visit_id, r))
    return ParticipantPage(
        participant, _part_name(protocol, participant), access.randomization_number_and_kit(
            participant, actor), _allocation(participant, actor), visits, dict(logs),
        list(participant.administrations.order_by("given_at")),
        _charts(protocol, records, latest), [_query_line(protocol, q) for q in queries],
        signatures,
        deviations_of(participant, actor), screened_under(participant),
        periods_of(participant, protocol))


def _query_line(protocol: Protocol, query: Query) -> QueryLine:
    form = protocol.form(query.record.form_id)
    labels = {item.id: item.label for item in form.items}
    place = f"{form.name} · {labels.get(query.item_id, query.item_id)}" if query.item_id \
        else form.name
    # Only an automatic query keeps a check id or a wording; a person's reads as written.
    text = edit_check_read(query.text, form, query.check_id, query.wording)
    return QueryLine(query, place, text)


def _visit_forms(protocol: Protocol, visit_id: str) -> list[str]:
    return [f for f in protocol.visit(visit_id).forms if not protocol.form(f).repeating]


def _period_name(protocol: Protocol, participant: Participant, visit_id: str) -> str:
    """The visit's period name, when the participant's part is a crossover (one schedule from
    day 0; periods only group its visits)."""
    period = protocol.visit(visit_id).period
    if period is None or not participant.part:
        return ""
    names = {p.id: p.name for p in protocol.part(participant.part).periods}
    return names.get(period, "")


def _part_name(protocol: Protocol, participant: Participant) -> str:
    return protocol.part(participant.part).name if participant.part else ""


def _allocation(participant: Participant, actor: Actor) -> access.AllocationView | None:
    """The arm, only for a role (or an unblinding investigator) that may see it (asked first,
    so a blinded reader's page view is not recorded as a refused read)."""
    return access.allocation_if_visible(participant, actor)


def _charts(protocol: Protocol, records: list[FormRecord],
            latest: dict[int, FormVersion]) -> list[tuple[str, Any, list[tuple[dt.date, float]]]]:
    """One chart per assessment form (``kind: assessment``): its rated score over time."""
    charts = []
    for form in protocol.forms:
        rated = _rated_item(protocol, form) if form.kind == "assessment" else None
        date_item = next((i.id for i in form.items if i.type == "date"), None)
        if rated is None or date_item is None:
            continue
        points = []
        for record in records:
            version = latest.get(record.pk)
            if record.form_id != form.id or version is None:
                continue
            when, value = version.data.get(date_item), version.data.get(rated.id)
            if isinstance(when, str) and isinstance(value, int | float):
                points.append((dt.date.fromisoformat(when), float(value)))
        limits = rated.range
        low = float(limits.min) if limits and limits.min is not None else 0.0
        high = float(limits.max) if limits and limits.max is not None else max(
            [v for _day, v in points] or [1.0])
        svg = line_chart(points, title=_("%(label)s over time") % {"label": rated.label},
                         y_min=low, y_max=high)
        charts.append((rated.label, svg, sorted(points)))
    return charts


def _rated_item(protocol: Protocol, form: Form) -> Item | None:
    """The score an assessment form rates: the entered item a derived score is checked
    against, else the numeric item feeding the default column of a record table."""
    for item in form.items:
        if item.derived is not None and item.derived.check_against is not None:
            return form.item(item.derived.check_against)
    schema = protocol.record_schema()
    for item in form.items:
        mapping = item.maps_to
        if (mapping is not None and item.type in ("integer", "decimal")
                and schema.has_table(mapping.table)
                and schema.table(mapping.table).default == mapping.column):
            return item
    return None
