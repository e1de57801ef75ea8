"""The study the server runs: its protocol version, sites, and the protocol's operational parts.

The protocol view leaves out arms and what each arm's kit contains: which arms exist is public,
but a client has no business showing them next to participants, and the blinding crawl holds
every response to that.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import responses
from trialkit.web.trial.models import Site
from trialkit.web.trial.study import current_study, version_view

router = Router(tags=["study"])


class StudyOut(Schema):
    protocol_id: str
    protocol_version: str
    amendment: int
    """0 for the protocol as first loaded, then 1, 2, ... per amendment loaded."""
    title: str
    loaded_at: dt.datetime
    locked_at: dt.datetime | None


class SiteOut(Schema):
    code: str
    name: str
    country: str
    status: str
    time_zone: str
    """The site's IANA zone: where its people read the API's UTC times."""


class PartOut(Schema):
    id: str
    name: str
    phase: str
    enrolment_target: int
    enrolment_order: str
    masking: str


class ProtocolVisitOut(Schema):
    id: str
    name: str
    day: int | None
    before: int
    after: int
    forms: list[str]
    unscheduled: bool


class ItemOut(Schema):
    id: str
    label: str
    type: str
    unit: str | None
    required: bool
    codelist: str | None
    derived: bool


class FormOut(Schema):
    id: str
    name: str
    kind: str
    entered_by: list[str]
    """Roles that may enter this form."""
    repeating: bool
    signature_required: bool
    items: list[ItemOut]


class AdministrationOut(Schema):
    id: str
    name: str
    visit: str
    route: str


class RoleOut(Schema):
    id: str
    name: str
    description: str
    can: list[str]
    sees: list[str]
    site_scoped: bool
    blinded_until_lock: bool
    notified_of: list[str]
    workspace: str | None


class ProtocolOut(Schema):
    id: str
    version: str
    parts: list[PartOut]
    visits: list[ProtocolVisitOut]
    forms: list[FormOut]
    administrations: list[AdministrationOut]
    roles: list[RoleOut]


@router.get("/study", response=responses(StudyOut))
def study(request: HttpRequest) -> StudyOut:
    actor = actor_of(request)
    current = current_study()
    view = version_view(current.protocol_version)
    return StudyOut(protocol_id=current.protocol_id, protocol_version=current.protocol_version,
                    amendment=view.amendment if view else 0,
                    title=actor.protocol().identity.brief_title, loaded_at=current.loaded_at,
                    locked_at=current.locked_at)


@router.get("/study/sites", response=responses(list[SiteOut]))
def sites(request: HttpRequest) -> list[SiteOut]:
    actor_of(request)
    return [SiteOut(code=s.code, name=s.name, country=s.country, status=s.status,
                    time_zone=s.time_zone) for s in Site.objects.order_by("code")]


@router.get("/study/protocol", response=responses(ProtocolOut))
def protocol(request: HttpRequest) -> ProtocolOut:
    """What clients need to run visits and render forms."""
    p = actor_of(request).protocol()
    return ProtocolOut(
        id=p.identity.id, version=current_study().protocol_version,
        parts=[PartOut(id=x.id, name=x.name, phase=str(x.phase),
                       enrolment_target=x.enrolment_target, enrolment_order=x.enrolment_order,
                       masking=str(x.masking.level)) for x in p.design.parts],
        visits=[ProtocolVisitOut(id=v.id, name=v.name, day=v.day, before=v.window.before,
                         after=v.window.after, forms=list(v.forms), unscheduled=v.unscheduled)
                for v in p.schedule.visits],
        forms=[FormOut(id=f.id, name=f.name, kind=f.kind, entered_by=list(f.entered_by),
                       repeating=f.repeating,
                       signature_required=f.signature_required,
                       items=[ItemOut(id=i.id, label=i.label, type=str(i.type), unit=i.unit,
                                      required=i.required, codelist=i.codelist,
                                      derived=i.derived is not None) for i in f.items])
               for f in p.forms],
        administrations=[AdministrationOut(id=a.id, name=a.name, visit=a.visit, route=a.route)
                         for a in p.design.administrations],
        roles=[RoleOut(id=r.id, name=r.name, description=r.description, can=list(r.can),
                       sees=list(r.sees), site_scoped=r.site_scoped,
                       blinded_until_lock=r.blinded_until_lock, notified_of=list(r.notified_of),
                       workspace=r.workspace) for r in p.roles])
