"""The analysis page: the results ``trialkit analyze`` writes, computed for the signed-in actor
as of a date, with every output to download.

Who opens it and what it shows are ``web.trial.analysis_outputs``'s: roles that export data or
review safety; pooled unless the access layer gives the actor arms (a role that sees
allocation, or one blinded until the lock once the study is locked). The page is the very
files the command line writes: the report's body as it is (its first line names the view), its
SVG figures, and each output offered as it is, with a zip of all.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trialkit.core.hygiene import DateKind
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.session import page, refusal, render_page
from trialkit.web.trial.actions.base import Actor, InvalidInputError
from trialkit.web.trial.analysis_outputs import ZIP, Computed, computed, may_analyze
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.read_audit import audited_export

INLINE = "figures/"
"""Shown on the page as images; every other output is a download."""
WHY = gettext_lazy("Only roles that export data or review safety open the analysis.")
GROUPS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    (gettext_lazy("Everything"), lambda n: n == ZIP),
    (gettext_lazy("Report and results"), lambda n: n != ZIP and "/" not in n),
    (gettext_lazy("Analysis datasets"), lambda n: n.startswith("datasets/")),
    (gettext_lazy("RTF tables"), lambda n: n.startswith("rtf/")),
    (gettext_lazy("Figures (SVG)"), lambda n: n.startswith(INLINE)))


def _as_of(request: HttpRequest) -> dt.date:
    if not request.GET.get("as_of"):
        return today()
    return Posted(request.GET).date("as_of", kind=DateKind.PAST)


def _file_url(output: str, as_of: dt.date) -> str:
    return reverse("pages:analysis_file", kwargs={"output": output}) + \
        f"?as_of={as_of.isoformat()}"


def _report_body(result: Computed) -> tuple[str, str]:
    """The report's body as the command line writes it, split after the stamp (where the page
    puts its own controls), its figures pointed at their files here."""
    text = (result.folder / "report.html").read_text(encoding="utf-8")
    body = text.split("<body>\n", 1)[1].rsplit("\n</body>", 1)[0]
    for name in result.files:
        if name.startswith(INLINE):
            body = body.replace(f'src="{name}"', f'src="{_file_url(name, result.stamp.as_of)}"')
    head, marker, rest = body.partition("<h2>Contents</h2>")
    return head, marker + rest


def _downloads(result: Computed) -> list[dict[str, Any]]:
    names = [ZIP, *result.files]
    return [{"title": str(title), "files": [{"name": n, "url": _file_url(n, result.stamp.as_of)}
                                       for n in names if belongs(n)]}
            for title, belongs in GROUPS]


@page(may_analyze, why=WHY)
def analysis(request: HttpRequest, actor: Actor) -> HttpResponse:
    problem = ""
    try:
        as_of = _as_of(request)
    except InvalidInputError as exc:
        as_of, problem = today(), _("As-of date %(problem)s; the analysis is as of today.") % {
            "problem": exc.message}
    result = computed(actor, as_of)
    head, rest = _report_body(result)
    return render_page(request, actor, "pages/analysis.html", {
        "title": _("Analysis"), "head": head, "rest": rest, "as_of": as_of.isoformat(),
        "latest": today().isoformat(), "problem": problem, "downloads": _downloads(result)})


@page(may_analyze, why=WHY)
def analysis_file(request: HttpRequest, actor: Actor, output: str) -> HttpResponse:
    try:
        as_of = _as_of(request)
    except InvalidInputError as exc:
        return refusal(request, actor, _("As-of date %(problem)s.") % {"problem": exc.message},
                       400)
    result = computed(actor, as_of)
    path = result.path(output)
    shown = output.startswith(INLINE)
    if not shown:  # a figure on the page is part of reading it; a download leaves the system
        audited_export(actor, f"analysis {output}", rows=result.records(output),
                       file_format=path.suffix.lstrip("."), as_of=as_of.isoformat(),
                       view=result.stamp.view)
    kind = "image/svg+xml" if path.suffix == ".svg" else \
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path.open("rb"), content_type=kind, as_attachment=not shown,
                        filename=f"{as_of.isoformat()}-{output.replace('/', '-')}")
