"""What the screening page reads: the per-criterion checklist computed from the screening
forms saved so far, and those forms.

The live checklist is a read: the core engine screens the record the saved forms make (the
same path ``do_evaluate_eligibility`` takes) without storing anything. Judgements count as in
the stored evaluation (``trialkit.core.eligibility.evaluation``), only for criteria the forms
still leave unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from trialkit.core.eligibility.compile import screen
from trialkit.core.eligibility.evaluation import Judgement, combine, judgements_still_needed
from trialkit.core.eligibility.record import RecordError
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import may_read, readable
from trialkit.web.trial.models import FormRecord, Participant
from trialkit.web.trial.screening_record import (
    screening_forms,
    screening_record,
    screening_visit_ids,
)
from trialkit.web.trial.wording import read


@dataclass(frozen=True)
class CriterionLine:
    id: str
    kind: str
    text: str
    status: str
    explanation: str
    missing: list[str]
    judgement: Judgement | None

    @property
    def outcome(self) -> str:
        """How the line reads for the candidate: ``ok``, ``bad`` or ``unknown``. An exclusion
        criterion that is not met is the good result."""
        if self.status not in ("met", "not_met"):
            return "unknown"
        return "ok" if (self.status == "met") == (self.kind == "inclusion") else "bad"

    @property
    def status_in_words(self) -> str:
        return status_in_words(self.kind, self.status)

    @property
    def judged_in_words(self) -> str:
        return status_in_words(self.kind, self.judgement.status) if self.judgement else ""


def status_in_words(kind: str, status: str) -> str:
    """A criterion's status as people say it: an inclusion criterion is met or not met; an
    exclusion criterion applies (and excludes) or does not apply."""
    if status == "met":
        return _("applies (excludes)") if kind == "exclusion" else pgettext("criterion", "met")
    if status == "not_met":
        return _("does not apply") if kind == "exclusion" else pgettext("criterion", "not met")
    return pgettext("criterion", "unknown")


def checklist(participant: Participant, protocol: Protocol,
              index_date: dt.date) -> tuple[str, list[CriterionLine], str]:
    """(verdict, lines, problem) for the forms saved so far and a planned Day 0."""
    try:
        record = screening_record(protocol, participant.screening_number,
                                  screening_forms(participant, protocol), index_date)
    except RecordError as exc:
        return "incomplete", [], _("The screening forms do not make a valid record yet: "
                                    "%(problem)s") % {"problem": exc}
    screened = screen(protocol, record)
    result = screened.to_json()
    # Judgements count only for criteria the forms still leave unknown, as in the stored
    # evaluation; a judged criterion shows the judged status beside the engine's explanation.
    stored = participant.evaluation()
    judged = judgements_still_needed(stored.judgements if stored else {}, result)
    final, _failing, _undecided = combine(result, judged)
    texts = {c.id: c.text for c in protocol.eligibility.criteria}
    # What would decide an unknown criterion is listed while the engine's verdict is open.
    open_verdict = screened.verdict == "incomplete"
    lines = [CriterionLine(c.id, c.kind, texts.get(c.id, ""),
                           judged[c.id].status if c.id in judged else c.outcome.status,
                           read(c.outcome.said),
                           [read(gap) for gap in c.outcome.gaps]
                           if open_verdict and c.outcome.status == "unknown" else [],
                           judged.get(c.id)) for c in screened.criteria]
    return final, lines, ""


def screening_form_lines(participant: Participant, protocol: Protocol, actor: Actor
                         ) -> list[tuple[str, Form, FormRecord | None]]:
    """(visit id, form, saved record or None) of every screening form the actor reads."""
    visits = screening_visit_ids(protocol)
    saved = {(r.visit_id, r.form_id): r for r in readable(actor, FormRecord.objects.filter(
        participant=participant, visit_id__in=visits))}
    return [(v, protocol.form(f), saved.get((v, f))) for v in visits
            for f in protocol.visit(v).forms if may_read(actor, protocol.form(f))]
