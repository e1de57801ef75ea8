"""The one place a read is narrowed to the actor's sites (docs/adr/0011-read-layer.md).

A site-scoped role sees the participants of its sites and everything hanging off them; a
study-wide role (``Actor.site_ids`` None) sees every site. Every read of participant data passes
its queryset through ``in_scope`` with the lookup path from the row to its participant, so the
rule is written once; ``tests/unit/web/test_read_layer.py`` fails if another module filters on
``site_ids`` itself.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.models import Site

M = TypeVar("M", bound=Model)


def in_scope(actor: Actor, rows: QuerySet[M], participant: str = "") -> QuerySet[M]:
    """``rows`` narrowed to the actor's sites. ``participant`` is the lookup path from a row to
    its participant: ``""`` for participants, ``"participant"`` for a form record or a dose,
    ``"record__participant"`` for a query or a form version."""
    if actor.site_ids is None:
        return rows
    lookup = f"{participant}__site_id__in" if participant else "site_id__in"
    return rows.filter(**{lookup: actor.site_ids})


def is_study_wide(actor: Actor) -> bool:
    """Whether the actor sees every site (a study-wide role)."""
    return actor.site_ids is None


def scope_of(actor: Actor) -> str | list[int]:
    """The actor's scope as the audit trail records it: ``"all"`` or the site ids."""
    return "all" if actor.site_ids is None else sorted(actor.site_ids)


def sites_in_scope(actor: Actor) -> QuerySet[Site]:
    sites = Site.objects.order_by("code")
    return sites if actor.site_ids is None else sites.filter(pk__in=actor.site_ids)
