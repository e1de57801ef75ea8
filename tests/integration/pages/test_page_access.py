"""Each page opens for the roles the protocol lets open it and refuses the others, on every
protocol (its demo trial)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.integration.capture_support import new_participant
from tests.integration.pages.support import client_for
from trialkit.core.protocol.reading import reads
from trialkit.web.trial.models import FormRecord, Participant, Query, ScheduledVisit

pytestmark = pytest.mark.protocols()


def _any(*permissions):
    return lambda role: any(p in role.can for p in permissions)


EVERYONE = lambda role: True  # noqa: E731
# Page name → who may open it, in terms of the protocol role (a spec, written independently
# of the pages' own checks).
WHO = {
    "dashboard": EVERYONE, "participants": EVERYONE, "participant": EVERYONE,
    "randomization_result": EVERYONE, "form_entry": EVERYONE, "form_history": EVERYONE,
    "screening_list": _any("screen"), "screening": _any("screen"),
    "enrol": _any("enrol", "randomize"), "unblind": _any("emergency_unblind"),
    "queries": _any("raise_query", "answer_query", "close_query"),
    "query": _any("raise_query", "answer_query", "close_query"),
    "safety": _any("report_adverse_event", "review_safety", "sign"),
    "committee": _any("review_safety"),
    "preparations": lambda role: "prepare_kit" in role.can and "preparation" in role.sees,
    "procedures": lambda role: "perform_procedure" in role.can and "procedure_type" in role.sees,
    "randomization_list": _any("manage_randomization"), "audit": _any("view_audit"),
    "admin_users": _any("manage_users"), "analysis": _any("export_data", "review_safety"),
    "signatures": _any("sign"), "verification": _any("verify_source"),
    # My tasks: every role with a permission some kind of task needs (docs/my-tasks.md).
    "my_tasks": _any("enter_data", "sign", "answer_query", "verify_source", "close_query",
                     "raise_query", "lock_data", "review_safety", "report_adverse_event"),
}


def _urls(trial):
    joined = Participant.objects.exclude(part="")
    shown = joined.filter(slot__isnull=False).first() or joined.first()
    candidate = Participant.objects.filter(status="consented").first()
    dose_form = trial.forms_of_kind("administration")[0]
    record = FormRecord.objects.filter(participant=shown, form_id=dose_form.id).first()
    query = Query.objects.first()
    visit = trial.visits_collecting(dose_form)[0]
    return {
        "dashboard": reverse("pages:dashboard"), "participants": reverse("pages:participants"),
        "participant": reverse("pages:participant", args=[shown.pk]),
        "randomization_result": reverse("pages:randomization_result", args=[shown.pk]),
        "form_entry": reverse("pages:form_entry", args=[shown.pk, visit, dose_form.id]),
        "form_history": reverse("pages:form_history", args=[record.pk]),
        "screening_list": reverse("pages:screening_list"),
        "screening": reverse("pages:screening", args=[candidate.pk]),
        "enrol": reverse("pages:enrol", args=[candidate.pk]),
        "unblind": reverse("pages:unblind", args=[shown.pk]),
        "queries": reverse("pages:queries"), "query": reverse("pages:query", args=[query.pk]),
        "safety": reverse("pages:safety"), "committee": reverse("pages:committee"),
        "preparations": reverse("pages:preparations"),
        "procedures": reverse("pages:procedures"),
        "randomization_list": reverse("pages:randomization_list"),
        "audit": reverse("pages:audit"), "admin_users": reverse("pages:admin_users"),
        "analysis": reverse("pages:analysis"), "signatures": reverse("pages:signatures"),
        "verification": reverse("pages:verification"), "my_tasks": reverse("pages:my_tasks"),
    }


# Pages that show one form's data open only for roles that read that form (the protocol's
# read_by and reads); a record or query on a form the role does not read answers like one that
# does not exist.
UNREAD = {"form_entry": 403, "form_history": 404, "query": 404}


def _shown_forms(trial):
    dose_form = trial.forms_of_kind("administration")[0]
    query = Query.objects.select_related("record").first()
    return {"form_entry": dose_form, "form_history": dose_form,
            "query": trial.form(query.record.form_id)}


def test_every_page_renders_for_the_roles_that_may_open_it_and_refuses_the_others(
        trial, module_demo):
    urls = _urls(trial)
    assert set(urls) == set(WHO)
    shown = _shown_forms(trial)
    for role in trial.protocol.roles:
        client = client_for(module_demo, role.id)
        for name, url in urls.items():
            expected = 200 if WHO[name](role) else 403
            if expected == 200 and name in shown and not reads(role, shown[name]):
                expected = UNREAD[name]
            assert client.get(url).status_code == expected, (role.id, name)


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page(trial, module_demo):
    for name, url in _urls(trial).items():
        response = Client().get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/?next="), name


def test_a_participant_of_another_site_is_not_found_for_a_site_role(trial, module_demo):
    elsewhere = new_participant("OTHER-001", site="SECOND")
    client = client_for(module_demo, trial.screener)
    assert client.get(reverse("pages:participant", args=[elsewhere.pk])).status_code == 404
    listing = client.get(reverse("pages:participants")).content.decode()
    assert "OTHER-001" not in listing
    data_manager = client_for(module_demo, trial.data_manager)  # a study-wide role
    assert not trial.protocol.role(trial.data_manager).site_scoped
    assert data_manager.get(reverse("pages:participant", args=[elsewhere.pk])).status_code == 200


# The screening list and the user administration have site lists of their own in their
# context: the header once showed one of those ("<QuerySet [<Site: Site object (1)>]>").
@pytest.mark.parametrize("page", ["dashboard", "participants", "screening_list"])
def test_the_active_study_site_and_role_are_on_every_page(trial, module_demo, page):
    text = client_for(module_demo, trial.screener).get(reverse(f"pages:{page}")).content.decode()
    assert trial.protocol.identity.id in text and f"Site: <strong>{trial.site}</strong>" in text
    assert f"Role: <strong>{trial.protocol.role(trial.screener).name}</strong>" in text
    assert 'href="#main"' in text  # the skip link
    administration = client_for(module_demo, trial.administrator).get(
        reverse("pages:admin_users")).content.decode()
    assert "Site: <strong>All sites</strong>" in administration


def test_navigation_follows_the_role(trial, module_demo):
    preparer = next(r.id for r in trial.protocol.roles
                    if "prepare_kit" in r.can and "preparation" in r.sees)
    blinded = next(r.id for r in trial.protocol.roles if r.blinded and "enter_data" in r.can)
    nav_of = {role: client_for(module_demo, role).get("/").content.decode()
              for role in (preparer, blinded, trial.administrator)}
    assert 'href="/preparations/"' in nav_of[preparer]
    assert 'href="/preparations/"' not in nav_of[blinded]
    assert "Administration" in nav_of[trial.administrator]
    assert "Administration" not in nav_of[blinded]


def test_a_roles_own_page_is_labelled_by_its_workspace_name_else_generically(trial, module_demo):
    protocol = trial.protocol
    pages = {"committee": "Safety committee", "preparations": "Preparations",
             "procedures": "Procedures"}
    labelled = 0
    for role in protocol.roles:
        nav = client_for(module_demo, role.id).get("/").content.decode()
        links = {page: f'href="/{page}/"' in nav for page in pages}
        first = next((page for page, shown in links.items() if shown), None)
        for page, shown in links.items():
            if not shown:
                continue
            label = role.workspace if role.workspace and page == first else pages[page]
            assert f'<a href="/{page}/">{label}</a>' in nav, (role.id, page)
            labelled += bool(role.workspace and page == first)
    assert labelled, "every protocol names a workspace"


def test_a_query_or_form_of_another_site_is_not_found_for_a_site_role(trial, module_demo):

    from django.utils import timezone

    elsewhere = new_participant("OTHER-002", site="SECOND")
    form = trial.forms_of_kind("demographics")[0]
    item = next(i.id for i in form.items if i.required)
    record = FormRecord.objects.create(participant=elsewhere, visit_id=trial.screening_visit.id,
                                       form_id=form.id, created_at=timezone.now())
    query = Query.objects.create(record=record, item_id=item, text="Please confirm.",
                                 raised_by="data-manager", raised_at=timezone.now())
    coordinator = client_for(module_demo, trial.screener)
    assert coordinator.get(reverse("pages:query", args=[query.pk])).status_code == 404
    answered = coordinator.post(reverse("pages:query_action", args=[query.pk, "answer"]),
                                {"text": "Confirmed."})
    assert answered.status_code == 404
    assert coordinator.get(reverse("pages:form_history", args=[record.pk])).status_code == 404
    query.refresh_from_db()
    assert query.status == Query.Status.OPEN
    data_manager = client_for(module_demo, trial.data_manager)
    assert data_manager.get(reverse("pages:query", args=[query.pk])).status_code == 200


def test_recording_a_visit_before_its_window_opens_asks_first(trial, module_demo):
    # "Record visit" sat beside visits months away with no confirmation.
    today = timezone.localdate()
    # The last visit of a participant at the screener's site, set months ahead.
    early = ScheduledVisit.objects.filter(participant__site__code=trial.site).select_related(
        "participant").order_by("participant_id", "-target_date").first()
    assert early is not None, "the demo has scheduled visits at the site"
    ScheduledVisit.objects.filter(pk=early.pk).update(
        done_on=None, missed=False, earliest=today + dt.timedelta(days=30),
        target_date=today + dt.timedelta(days=35), latest=today + dt.timedelta(days=40))
    early.refresh_from_db()
    client = client_for(module_demo, trial.screener)
    page = client.get(reverse("pages:participant", args=[early.participant.pk])).content.decode()
    action = reverse("pages:record_visit", args=[early.participant.pk, early.visit_id])
    form = page[page.index(f'action="{action}"'):].split(">", 1)[0]
    assert "data-confirm=" in form and f"window opens on {early.earliest:%Y-%m-%d}" in form


def _links(html: str) -> set[str]:
    """The page's own links that a person would follow to open a page (not downloads, the
    sign-out or the account's own pages, which every role may open)."""
    return {href for href in re.findall(r'<a\b[^>]*\bhref="(/[^"#?]*)', html)
            if not href.startswith(("/static/", "/api/", "/logout", "/account", "/login"))}


def _one_of_each_kind(links: set[str]) -> list[str]:
    """One link per page kind and form: /participants/7/forms/D0/vitals/ stands for the same
    form at the other visits and of the other participants."""
    kinds: dict[str, str] = {}
    for href in sorted(links):
        parts = re.sub(r"/\d+/", "/N/", href).strip("/").split("/")
        kinds.setdefault("/".join(p for i, p in enumerate(parts) if i != 3 or p == "N"), href)
    return sorted(kinds.values())


def test_no_page_links_to_a_page_its_role_may_not_open(trial, module_demo):
    # The dashboard and the participant page linked roles to pages that then said
    # "Not permitted".
    refused = {}
    for role in trial.protocol.roles:
        client = client_for(module_demo, role.id)
        start = [reverse("pages:dashboard"), reverse("pages:participants")]
        listing = client.get(start[1]).content.decode()
        start += sorted(h for h in _links(listing) if re.fullmatch(r"/participants/\d+/", h))[:1]
        seen = set(start)
        links = set()
        for url in start:
            links |= _links(client.get(url).content.decode())
        for href in _one_of_each_kind(links - seen):
            status = client.get(href).status_code
            if status in (403, 404):
                refused.setdefault(role.id, []).append((href, status))
    assert refused == {}
