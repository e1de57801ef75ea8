"""The data manager's exports page: every standards export of the registry, as of a chosen day,
each a download written for the signed-in actor.

A download is the API's (``web.api.standards_exports.download``): the same rows for the same
actor, the same file, the same zip for a format of several files, the same audit event. Who may
open the page is the API's rule too (``exports._require_export``: roles that export data, and
monitors); a refusal is the pages' usual "not permitted", audited as a refused read. A format
that names the design's arms is listed without a link for a blinded role.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from trialkit.core.hygiene import DateKind
from trialkit.interop.exports import EXPORTS
from trialkit.web.api.exports import _require_export
from trialkit.web.api.standards_exports import download, may_read
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.session import page, refusal, render_page
from trialkit.web.trial.actions.base import Actor, InvalidInputError, StateConflictError
from trialkit.web.trial.gate_facts import today


def _as_of(request: HttpRequest) -> dt.date:
    if not request.GET.get("as_of"):
        return today()
    return Posted(request.GET).date("as_of", kind=DateKind.PAST)


def _url(name: str, as_of: dt.date) -> str:
    return reverse("pages:export_file", kwargs={"output": name}) + f"?as_of={as_of.isoformat()}"


@page()
def exports(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.utils.translation import gettext as _

    _require_export(actor)
    problem = ""
    try:
        as_of = _as_of(request)
    except InvalidInputError as exc:
        as_of, problem = today(), _(
            "As-of date %(problem)s; the exports are as of today.") % {"problem": exc.message}
    # The registry's titles and descriptions are marked for the catalogue where they are
    # declared (interop imports no Django); the page reads them in the reader's language.
    formats = [{"name": e.name, "title": _(e.title), "description": _(e.description),
                "folder": e.layout == "folder", "needs_data": e.needs_data,
                "open": may_read(actor, e), "url": _url(e.name, as_of)}
               for e in EXPORTS.values()]
    return render_page(request, actor, "pages/exports.html", {
        "title": _("Exports"), "formats": formats, "as_of": as_of.isoformat(),
        "latest": today().isoformat(), "problem": problem})


@page()
def export_file(request: HttpRequest, actor: Actor, output: str) -> HttpResponse:
    """One export (``output`` is its name: a file, not a page, as the analysis outputs are)."""
    from django.utils.translation import gettext as _

    _require_export(actor)
    try:
        got = download(actor, output, _as_of(request))
    except InvalidInputError as exc:
        return refusal(request, actor, _("As-of date %(problem)s.") % {"problem": exc.message},
                       400)
    except StateConflictError as exc:
        return refusal(request, actor, exc.message, 409)
    response = HttpResponse(got.body, content_type=got.media_type)
    response["Content-Disposition"] = f'attachment; filename="{got.filename}"'
    return response
