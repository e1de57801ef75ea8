"""What waits for the signed-in person, item by item: the "My tasks" page and the dashboard's
"Waiting for you" counts, from this one reader (the card counts the page's lists).

Which kinds a person gets follows from their protocol role's permissions (``can``) and the
forms it reads, never from role names. Every list is read through the existing worklists or
``in_scope`` and ``readable``, so it holds only the person's sites and forms their role reads;
nothing here reads an arm, a kit's contents or a procedure type, and no count is split by arm.
Each kind costs a fixed number of queries, whatever the number of participants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from trialkit.core.protocol import Protocol
from trialkit.web.pages.query_ageing import AgeBucket, query_ageing
from trialkit.web.pages.vocabulary import participant_status, query_in_words_of
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import may_enter
from trialkit.web.trial.actions.locks import STILL_IN_THE_TRIAL
from trialkit.web.trial.actions.smc_reports import may_produce_smc_report
from trialkit.web.trial.capture_queries import (
    QueryView,
    running_sae_clocks,
    unresolved_queries_by_site,
)
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    Participant,
    Query,
    SafetyDecision,
    ScheduledVisit,
)
from trialkit.web.trial.queries_schedule import status_of
from trialkit.web.trial.scope import in_scope
from trialkit.web.trial.signatures import awaiting_signature, worklist
from trialkit.web.trial.smc_reports import readable_reports
from trialkit.web.trial.source_verification import verification_worklist
from trialkit.web.trial.study import current_study


@dataclass(frozen=True)
class TaskItem:
    """One thing to do, in words: whose, what, by when (or how old), and where to do it."""

    screening_number: str
    """Blank for an item not about one participant (a committee report)."""
    what: str
    """The visit, form or item by their protocol names (never ids or codes)."""
    url: str
    due_on: dt.date | None = None
    due_at: dt.datetime | None = None
    age_days: int | None = None
    """Days since the thing to act on was saved, raised or produced."""
    flag: str = ""
    """A word that ranks the item: ``overdue``, ``due``, ``assigned to you``."""

    @property
    def flag_label(self) -> str:
        """The flag in the reader's language (the flag itself is compared and sorted on)."""
        return str(FLAG_LABELS.get(self.flag, self.flag))


FLAG_LABELS = {
    "overdue": pgettext_lazy("task", "overdue"), "due": pgettext_lazy("task", "due"),
    "upcoming": pgettext_lazy("task", "upcoming"), "missed": pgettext_lazy("task", "missed"),
    "done": pgettext_lazy("task", "done"), "assigned to you": gettext_lazy("assigned to you")}


@dataclass(frozen=True)
class TaskGroup:
    kind: str
    """The anchor of the group on the page (``#assessments``)."""
    label: str
    """What waits, after its count: "3 forms await a signature"."""
    items: list[TaskItem]
    worklist_url: str
    """The page where the whole kind is worked (the signature worklist, the inbox…)."""

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class MyTasks:
    groups: list[TaskGroup]
    """Every kind the role has, empty ones included, in a fixed order."""
    ageing: list[AgeBucket] | None
    """Unresolved queries by age, for a role that closes queries (else None)."""

    @property
    def waiting(self) -> list[TaskGroup]:
        return [g for g in self.groups if g.items]


@dataclass(frozen=True)
class _Context:
    actor: Actor
    protocol: Protocol
    now: dt.datetime
    unresolved: list[QueryView]


Kind = tuple[str, str, Callable[[Actor], bool], Callable[[_Context], list[TaskItem]], str]


def _can(*permissions: str) -> Callable[[Actor], bool]:
    return lambda actor: all(actor.can(p) for p in permissions)  # type: ignore[arg-type]


def _any(*permissions: str) -> Callable[[Actor], bool]:
    return lambda actor: any(actor.can(p) for p in permissions)  # type: ignore[arg-type]


def _names(protocol: Protocol, visit_id: str, form_id: str) -> str:
    from django.utils.translation import gettext as _

    try:
        form = protocol.form(form_id).name
    except KeyError:
        form = form_id
    if not visit_id:
        return _("%(form)s (outside visits)") % {"form": form}
    try:
        return f"{protocol.visit(visit_id).name}: {form}"
    except KeyError:
        return f"{visit_id}: {form}"


def _days(since: dt.datetime | None, now: dt.datetime) -> int | None:
    return None if since is None else max((now - since).days, 0)


def _participants(actor: Actor) -> QuerySet[Participant]:
    return in_scope(actor, Participant.objects.filter(
        study__protocol_id=current_study().protocol_id))


def _assessments(c: _Context) -> list[TaskItem]:
    """Visits whose window is open or has passed, not done nor missed, with the forms the role
    enters (and reads) not yet saved: a rater sees only its rating."""
    entered_here = {f.id for f in c.protocol.forms
                    if f.kind != "adverse_event" and may_enter(c.actor, f)}
    on = clock.today()
    enrolled = _participants(c.actor).filter(status=Participant.Status.ENROLLED)
    visits = list(ScheduledVisit.objects.filter(
        participant__in=enrolled, done_on__isnull=True, missed=False,
        earliest__lte=on).select_related("participant").order_by("latest", "target_date", "pk"))
    saved = set(FormRecord.objects.filter(participant__in=enrolled, latest_version__gt=0,
                                          form_id__in=entered_here).values_list(
        "participant_id", "visit_id", "form_id"))
    items = []
    for v in visits:
        try:
            forms = c.protocol.visit(v.visit_id).forms
        except KeyError:
            continue
        for form_id in forms:
            if form_id in entered_here and (v.participant_id, v.visit_id, form_id) not in saved:
                items.append(TaskItem(
                    v.participant.screening_number, _names(c.protocol, v.visit_id, form_id),
                    reverse("pages:form_entry", args=[v.participant_id, v.visit_id, form_id]),
                    due_on=v.latest, flag=status_of(v, on)))
    return items


def _saved_at(records: list[FormRecord]) -> dict[int, dt.datetime]:
    """Record id → when its latest version was saved (one query)."""
    wanted = {r.pk: r.latest_version for r in records}
    return {record_id: saved_at for record_id, number, saved_at in FormVersion.objects.filter(
        record_id__in=wanted).values_list("record_id", "number", "saved_at")
        if wanted[record_id] == number}


def _signatures(c: _Context) -> list[TaskItem]:
    records = list(worklist(c.actor))
    saved = _saved_at(records)
    return [TaskItem(r.participant.screening_number,
                     _names(c.protocol, r.visit_id, r.form_id) + _entry(c.protocol, r),
                     reverse("pages:form_history", args=[r.pk]),
                     age_days=_days(saved.get(r.pk), c.now)) for r in records]


def _entry(protocol: Protocol, record: FormRecord) -> str:
    from django.utils.translation import gettext as _

    try:
        repeating = protocol.form(record.form_id).repeating
    except KeyError:
        repeating = False
    return _(", entry %(index)s") % {"index": record.repeat_index} if repeating else ""


def _judgements(c: _Context) -> list[TaskItem]:
    """Candidates whose stored screening leaves criteria to an investigator's judgement."""
    candidates = _participants(c.actor).filter(
        status__in=[Participant.Status.SCREENING, Participant.Status.CONSENTED],
        eligibility__isnull=False).order_by("screening_number")
    items = []
    for p in candidates:
        evaluation = p.evaluation()
        if evaluation is not None and evaluation.undecided:
            n = len(evaluation.undecided)
            items.append(TaskItem(
                p.screening_number,
                ngettext("%(count)s eligibility criterion awaits a judgement",
                         "%(count)s eligibility criteria await a judgement", n) % {"count": n},
                reverse("pages:screening", args=[p.pk]),
                age_days=(c.now.date() - evaluation.evaluated_on).days))
    return items


def _query_item(c: _Context, q: QueryView) -> TaskItem:
    what = f"{q.visit_name}: {q.form_name}" if q.visit_name else q.form_name
    mine = q.assigned_to == c.actor.user.get_username()
    return TaskItem(q.screening_number, f"{what}{' · ' + q.item_label if q.item_label else ''}"
                    f" — {q.text}", reverse("pages:query", args=[q.id]),
                    age_days=_days(q.raised_at, c.now), flag="assigned to you" if mine else "")


def _queries(c: _Context, status: str) -> list[TaskItem]:
    """Queries of one status, those assigned to the person first, then the oldest."""
    items = [_query_item(c, q) for q in c.unresolved if q.status == status]
    return sorted(items, key=lambda i: (not i.flag, -(i.age_days or 0)))


def _assigned(c: _Context) -> list[TaskItem]:
    return [i for i in (_query_item(c, q) for q in c.unresolved) if i.flag]


def _verification(c: _Context) -> list[TaskItem]:
    forms = verification_worklist(c.actor)
    saved = _saved_at(list(FormRecord.objects.filter(pk__in=[f.record_id for f in forms])))
    return [TaskItem(f.screening_number, f"{_names(c.protocol, f.visit_id, f.form_id)} "
                     f"({f.status_label})", reverse("pages:form_history", args=[f.record_id])
                     + "#verification", age_days=_days(saved.get(f.record_id), c.now))
            for f in forms]


def _ready_to_lock(c: _Context) -> list[TaskItem]:
    """Participants no longer in the trial, not locked, with every query closed and every form
    that needs a signature signed: what ``do_lock_participant`` would accept."""
    from django.utils.translation import gettext as _

    unresolved = Query.objects.filter(record__participant=OuterRef("pk")).exclude(
        status=Query.Status.CLOSED)
    unsigned = awaiting_signature(c.protocol, FormRecord.objects.filter(
        participant=OuterRef("pk")))
    ready = _participants(c.actor).filter(locked_at__isnull=True).exclude(
        status__in=STILL_IN_THE_TRIAL).exclude(Exists(unresolved)).exclude(
        Exists(unsigned)).order_by("screening_number")
    return [TaskItem(p.screening_number, _("casebook complete (%(status)s)") % {
                         "status": participant_status(p.status)},
                     reverse("pages:participant", args=[p.pk]),
                     age_days=None if p.ended_on is None else (c.now.date() - p.ended_on).days)
            for p in ready]


def _committee(c: _Context) -> list[TaskItem]:
    """The committee's reports with no decision on their gate signed since they were made."""
    from django.utils.translation import gettext as _

    if not may_produce_smc_report(c.actor):
        return []
    decided: dict[int, dt.datetime] = {}
    for gate_index, signed_at in SafetyDecision.objects.filter(
            study__protocol_id=current_study().protocol_id).values_list(
            "gate_index", "signed_at"):
        decided[gate_index] = max(signed_at, decided.get(gate_index, signed_at))
    gates = c.protocol.gates.committee
    return [TaskItem("", _("%(committee)s: %(session)s session report as of %(day)s") % {
                         "committee": gates[r.gate_index].committee
                         if r.gate_index < len(gates) else "",
                         "session": r.session, "day": f"{r.as_of:%Y-%m-%d}"},
                     reverse("pages:smc_report_html", args=[r.pk]),
                     age_days=_days(r.produced_at, c.now))
            for r in reversed(readable_reports(c.actor))
            if r.produced_at > decided.get(r.gate_index, dt.datetime.min.replace(
                tzinfo=dt.UTC))]


def _serious_events(c: _Context) -> list[TaskItem]:
    from django.utils.translation import gettext as _

    return [TaskItem(k.screening_number, _("initial report of the serious event: %(term)s") % {
                         "term": k.term},
                     reverse("pages:form_history", args=[k.record_id]), due_at=k.deadline,
                     flag="overdue" if k.overdue else "due")
            for k in running_sae_clocks(actor=c.actor, now=c.now)]


def _url(name: str, query: str = "") -> str:
    return reverse(f"pages:{name}") + query


KINDS: tuple[Kind, ...] = (
    ("assessments", gettext_lazy("assessments are due"), _can("enter_data"), _assessments,
     "participants"),
    ("signatures", gettext_lazy("forms await a signature"), _can("sign"), _signatures,
     "signatures"),
    ("judgements", gettext_lazy("candidates await a judgement of their criteria"),
     _can("sign", "screen"), _judgements, "screening_list"),
    ("answers", gettext_lazy("queries await the site's answer"), _can("answer_query"),
     lambda c: _queries(c, Query.Status.OPEN), "queries?status=open"),
    ("verification", gettext_lazy("forms await source data verification"),
     _can("verify_source"), _verification, "verification"),
    ("closing", gettext_lazy("answered queries await closing"), _can("close_query"),
     lambda c: _queries(c, Query.Status.ANSWERED), "queries?status=answered"),
    ("assigned", gettext_lazy("unresolved queries are assigned to you"),
     _any("raise_query", "answer_query", "close_query"), _assigned, "queries?assigned=me"),
    ("locking", gettext_lazy("participants are ready to lock"), _can("lock_data"),
     _ready_to_lock, "participants"),
    ("committee", gettext_lazy("committee reports await a decision"), _can("review_safety"),
     _committee, "smc_reports"),
    ("serious_events", gettext_lazy("serious events await their initial report"),
     _can("report_adverse_event"), _serious_events, "safety"),
)

def has_tasks(actor: Actor) -> bool:
    """Whether the role has any kind of task: it then has the page and its link."""
    return any(allowed(actor) for _, _, allowed, _, _ in KINDS)


def my_tasks(actor: Actor) -> MyTasks:
    """Every kind of task the actor's role has, each with its items (an empty list when
    nothing waits)."""
    queries = any(actor.can(p) for p in ("raise_query", "answer_query", "close_query"))
    protocol = actor.protocol()
    unresolved = sorted((query_in_words_of(protocol, q)
                         for rows in unresolved_queries_by_site(actor=actor).values()
                         for q in rows), key=lambda q: (q.raised_at, q.id)) if queries else []
    c = _Context(actor, protocol, clock.now(), unresolved)
    groups = []
    for kind, label, allowed, read, where in KINDS:
        if allowed(actor):
            name, _, query = where.partition("?")
            groups.append(TaskGroup(kind, label, read(c),
                                    _url(name, f"?{query}" if query else "")))
    return MyTasks(groups, query_ageing(unresolved, c.now) if actor.can("close_query")
                   else None)
