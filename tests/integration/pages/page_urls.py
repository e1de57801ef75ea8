"""Every page URL of trialkit.web.pages, discovered from its URLconf and filled with real ids."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, get_resolver, resolve

from trialkit.web.trial.models import FormRecord, Participant, Query, SmcReport

# Routes the crawl does not GET: the static files, and steps that only take a POST (signing
# out, signing forms, verifying a visit's source data, coding adverse events) whose parameters
# are not named ``step``.
NOT_CRAWLED = {"logout", "static", "sign_group", "verify_visit", "autocode", "code_event"}
# Route parameters that name something that is not about a participant: such a page is
# crawled once per stored object, not once per participant.
NOT_ABOUT_A_PARTICIPANT = {"report_id"}


def pattern_names() -> list[tuple[str, list[str]]]:
    """(name, parameter names) of every page URL."""
    resolver = get_resolver("trialkit.web.pages.urls")
    found = []
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        found.append((str(pattern.name), list(pattern.pattern.regex.groupindex)))
    return found


def urls_about(participants: list[Participant]) -> Iterator[str]:
    """Each GET page once per given participant (and its records and queries); the pages
    without parameters once. POST-only steps (``step`` parameters) are left out, and so are
    the analysis outputs (``output``): they are files, not pages, and the crawls follow the
    analysis page's own links to every one of them (test_blinding_crawl.py)."""
    from django.urls import reverse

    for name, params in pattern_names():
        if "step" in params or "output" in params or name in NOT_CRAWLED:
            continue
        if not params:
            yield reverse(f"pages:{name}")
            continue
        if set(params) <= NOT_ABOUT_A_PARTICIPANT:
            for args in _arguments(name, params, None):
                yield reverse(f"pages:{name}", kwargs=args)
            continue
        for participant in participants:
            for args in _arguments(name, params, participant):
                yield reverse(f"pages:{name}", kwargs=args)


def _arguments(name: str, params: list[str],
               participant: Participant | None) -> Iterator[dict[str, object]]:
    if params == ["report_id"]:  # every committee report kept: none is about a participant
        for report_id in SmcReport.objects.order_by("pk").values_list("pk", flat=True):
            yield {"report_id": report_id}
        return
    assert participant is not None, f"{name} is about a participant"
    # One instance of each form (each renders the same way), every entry of the logs.
    records = list({(r.form_id, r.repeat_index): r for r in FormRecord.objects.filter(
        participant=participant).order_by("-pk")}.values())
    if params == ["pk"] and name.startswith("query"):
        for query in Query.objects.filter(record__participant=participant):
            yield {"pk": query.pk}
    elif params == ["pk"]:
        yield {"pk": participant.pk}
    elif params == ["record_id"]:
        for record in records:
            yield {"record_id": record.pk}
    elif set(params) == {"pk", "visit_id", "form_id"}:
        for record in records:
            yield {"pk": participant.pk, "visit_id": record.visit_id or "-",
                   "form_id": record.form_id}
    elif set(params) == {"pk", "visit_id"}:
        for visit in participant.visits.all():
            yield {"pk": participant.pk, "visit_id": visit.visit_id}
    else:
        raise AssertionError(f"the crawl does not know how to fill {params}")


def is_about(url: str, participant: Participant) -> bool:
    """Whether the page's route names the participant or one of their records or queries
    (by the resolved route's arguments: a database id's digits may occur in any URL)."""
    match = resolve(url)
    kwargs = match.kwargs
    if "record_id" in kwargs:
        return FormRecord.objects.filter(pk=kwargs["record_id"],
                                         participant=participant).exists()
    if "pk" in kwargs and (match.url_name or "").startswith("query"):
        return Query.objects.filter(pk=kwargs["pk"], record__participant=participant).exists()
    return kwargs.get("pk") == participant.pk
