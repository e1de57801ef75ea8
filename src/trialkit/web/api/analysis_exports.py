"""The analysis for API clients: the results and every output of ``trialkit analyze``, as the
analysis page offers them (``web.trial.analysis_outputs``: computed for the token's actor, by
arm only where the access layer gives that actor arms, pooled otherwise).

``results.json`` is the command line's file byte for byte (its ``stamp`` names the view, the
versions, the as-of date and the data's hash); ``all.zip`` holds every output. Both are
exports: each answer is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import ERRORS, InSchema
from trialkit.web.boundary.api_types import DateInput
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.analysis_outputs import ZIP, Computed, computed
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.read_audit import audited_export

router = Router(tags=["exports"])


def _file(media: str, description: str) -> dict[str, object]:
    schema = {"type": "object"} if media == "application/json" else {
        "type": "string", "format": "binary"}
    return {"responses": {200: {"description": description,
                                "content": {media: {"schema": schema}}}}}


class AnalysisQuery(InSchema):
    as_of: Annotated[dt.date, DateInput("as_of")] | None = None
    """Data as of the end of this day (UTC); default today."""


def _outputs(request: HttpRequest, query: AnalysisQuery, output: str
             ) -> tuple[Actor, Computed]:
    actor = actor_of(request)
    as_of = query.as_of or today()
    result = computed(actor, as_of)
    result.path(output)
    audited_export(actor, f"analysis {output}", rows=result.records(output),
                   file_format=output.rsplit(".", 1)[-1], as_of=as_of.isoformat(),
                   view=result.stamp.view)
    return actor, result


@router.get("/exports/analysis/results.json", response=ERRORS,
            openapi_extra=_file("application/json", "results.json of `trialkit analyze`"))
def analysis_results(request: HttpRequest, query: Query[AnalysisQuery]) -> HttpResponse:
    """Every declared analysis's results with the stamp (the view first: pooled or by arm),
    the participant flow and the datasets' sizes, for roles that export data or review
    safety."""
    _, result = _outputs(request, query, "results.json")
    return HttpResponse((result.folder / "results.json").read_bytes(),
                        content_type="application/json")


@router.get("/exports/analysis/all.zip", response=ERRORS,
            openapi_extra=_file("application/zip", "every output of `trialkit analyze`"))
def analysis_zip(request: HttpRequest, query: Query[AnalysisQuery]) -> HttpResponse:
    """The datasets (Dataset-JSON, XPT, Parquet), results.json, report.html with its figures,
    the RTF tables and the manifest of SHA-256s, in one zip."""
    _, result = _outputs(request, query, ZIP)
    # Whole, not streamed: an API client (and the audit middleware's answer) gets one body.
    response = HttpResponse(result.path(ZIP).read_bytes(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="analysis-{result.stamp.as_of}.zip"'
    return response
