"""Preparing a data cut: the tables by arm the safety committee's closed session reads.

Who prepares one follows from the protocol, not from a role's name: a role that reviews safety
(``review_safety``), sees every participant's ``allocation`` (the counts are made from it) and
``arm_summaries`` (what it produces), across all sites (a cut covers the whole trial) — an
unblinded statistician supporting the committee, say. A committee member who sees
``arm_summaries`` only reads cuts; nobody reads tables by arm live.

The tables are stored as they may be shown (small cells withheld, data_cuts.py), and the audit
event says which date was cut, never a count.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor, InvalidInputError, NotPermittedError
from trialkit.web.trial.actions.kernel import action, record
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.data_cuts import as_stored, stored_rows, tables_as_of, threshold
from trialkit.web.trial.models import DataCut
from trialkit.web.trial.scope import is_study_wide
from trialkit.web.trial.study import current_study


def may_prepare_data_cut(actor: Actor) -> bool:
    return (actor.can("review_safety") and actor.sees("allocation")
            and actor.sees("arm_summaries") and is_study_wide(actor))


@action(AuditAction.PREPARE_DATA_CUT, permission="review_safety")
def do_prepare_data_cut(as_of: dt.date, *, actor: Actor) -> DataCut:
    """Freeze the tables by arm as of ``as_of`` (not in the future)."""
    if not may_prepare_data_cut(actor):
        raise NotPermittedError(_("role '%(role)s' may not prepare data cuts: that needs a "
                                  "study-wide role that reviews safety and sees both the "
                                  "allocation and tables by arm"), role=actor.role)
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise InvalidInputError(_("give the data cut's date as YYYY-MM-DD"), field="as_of")
    if as_of > clock.today():
        raise InvalidInputError(_("the data cut's date %(as_of)s is in the future"),
                                field="as_of", as_of=as_of)
    study = current_study()
    earlier = [stored_rows(c) for c in DataCut.objects.filter(
        study__protocol_id=study.protocol_id).order_by("pk")]
    tables = tables_as_of(actor, study, as_of, earlier)
    cut = DataCut.objects.create(
        study=study, as_of=as_of, prepared_by=actor.name, prepared_role=actor.role,
        prepared_at=clock.now(), threshold=threshold(), arms=tables.arms,
        tables={"rows": as_stored(tables.rows), "undated_events": tables.undated_events})
    record(actor, AuditAction.PREPARE_DATA_CUT, cut,
           new={"as_of": as_of, "threshold": cut.threshold})
    return cut
