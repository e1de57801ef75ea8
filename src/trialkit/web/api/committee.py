"""The safety committee's closed session over the API: data cuts (tables by arm frozen at a
date, small cells withheld), read by roles that see ``arm_summaries`` and prepared by a
study-wide role that also sees ``allocation`` (actions/data_cuts.py). There is no live table by
arm in the API (docs/security.md, "What the safety committee sees")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import DateInput, InSchema, responses
from trialkit.web.trial import access
from trialkit.web.trial.actions.data_cuts import do_prepare_data_cut
from trialkit.web.trial.models import DataCut

router = Router(tags=["blinding and oversight"])


class CutRowOut(Schema):
    label: str
    pooled: int
    """Participants in the row, all arms together."""
    counts: list[int] | None
    """One per arm, in ``arms`` order; null when the row is withheld (a small cell)."""


class DataCutOut(Schema):
    id: int
    as_of: dt.date
    prepared_by: str
    prepared_role: str
    prepared_at: dt.datetime
    threshold: int
    """Counts below this are never shown (nor differences that would reveal one)."""
    arms: list[str]
    rows: list[CutRowOut]
    undated_events: int
    """Adverse events without an onset date, left out of the counts."""


class DataCutIn(InSchema):
    as_of: Annotated[dt.date, DateInput("as_of")]
    """Count participants randomized, and events begun, on or before this day."""


def _cut_out(cut: DataCut) -> DataCutOut:
    return DataCutOut(id=cut.pk, as_of=cut.as_of, prepared_by=cut.prepared_by,
                      prepared_role=cut.prepared_role, prepared_at=cut.prepared_at,
                      threshold=cut.threshold, arms=list(cut.arms),
                      rows=[CutRowOut(label=r["label"], pooled=r["pooled"], counts=r["counts"])
                            for r in cut.tables["rows"]],
                      undated_events=cut.tables.get("undated_events", 0))


@router.get("/safety/data-cuts", response=responses(list[DataCutOut]))
def data_cuts(request: HttpRequest) -> list[DataCutOut]:
    """Every data cut, the latest first (roles that see tables by arm)."""
    return [_cut_out(c) for c in access.access_data_cuts(actor_of(request))]


@router.post("/safety/data-cuts", response=responses(DataCutOut, 201))
def prepare_data_cut(request: HttpRequest, body: DataCutIn) -> Status[DataCutOut]:
    """Freeze the tables by arm as of a date (not in the future)."""
    cut = do_prepare_data_cut(body.as_of, actor=actor_of(request))
    return Status(201, _cut_out(cut))
