"""The dashboard's card for the study charts: a link and a few headline counts, for the roles
that may open the charts (``{% load charts_card %}{% charts_card actor %}``).

A tag rather than dashboard context, so the dashboard's view stays as it is and the counts are
read only for the roles that see the card."""

from __future__ import annotations

from typing import Any

from django import template

from trialkit.web.pages.study_charts import headline, may_open_charts
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.study import current_study, protocol_of

register = template.Library()


@register.inclusion_tag("pages/_charts_card.html")
def charts_card(actor: Actor | None) -> dict[str, Any]:
    if actor is None or not may_open_charts(actor):
        return {"headline": None}
    study = current_study()
    return {"headline": headline(actor, study, protocol_of(study), today())}
