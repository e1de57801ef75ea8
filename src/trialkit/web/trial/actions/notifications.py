"""Who is told of what: the protocol's roles say it (``notified_of``), the code never guesses.

Three kinds of event notify: a serious adverse event, an emergency unblinding and a signed
committee decision. A notification goes to a role at the event's site (or study-wide), so
everyone acting in that role there reads it in their inbox, and each of them with an e-mail
address gets it by e-mail (Django's mail backend: the console in the demo, SMTP in a
deployment). It never carries a blinded fact (an arm, a preparation, real or sham) nor a
free-text reason that might hint at one. Called inside the action that causes it, so it shares
its transaction; the e-mails leave only once that transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import NotificationKind
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.models import Membership, Notification, Site
from trialkit.web.trial.scope import is_study_wide, sites_in_scope

log = logging.getLogger(__name__)


def recipients(protocol: Protocol, kind: NotificationKind) -> list[str]:
    """Role ids the protocol says are told of this kind of event."""
    return [role.id for role in protocol.roles if kind in role.notified_of]


def notify(protocol: Protocol, kind: NotificationKind, subject: str, body: str,
           at: dt.datetime, site: Site | None = None) -> list[str]:
    """One notification per role told of ``kind`` (at ``site``; None: study-wide), and an
    e-mail to each person of those roles there once the action commits; returns the roles
    (for the audit)."""
    roles = recipients(protocol, kind)
    Notification.objects.bulk_create([
        Notification(recipient_role=role, site=site, subject=subject, body=body,
                     created_at=at) for role in roles])
    addresses = sorted(set(_people(roles, site).values_list("user__email", flat=True)) - {""})
    if addresses:
        transaction.on_commit(lambda: _send(subject, body, addresses))
    return roles


def notifications_for(actor: Actor) -> QuerySet[Notification]:
    """What the actor's inbox holds: their role's notifications about events at their sites
    and the study-wide ones, newest first."""
    mine = Notification.objects.filter(recipient_role=actor.role)
    if not is_study_wide(actor):  # a site's people: their sites' events and study-wide ones
        mine = mine.filter(Q(site__isnull=True) | Q(site__in=sites_in_scope(actor)))
    return mine.select_related("site").order_by("-created_at", "-id")


def _people(roles: list[str], site: Site | None) -> QuerySet[Membership]:
    """Active memberships of ``roles`` that see ``site``: at it, or study-wide."""
    held = Membership.objects.filter(role__in=roles, active=True, user__is_active=True)
    return held.filter(Q(site__isnull=True) | Q(site=site)) if site is not None else held


def _send(subject: str, body: str, addresses: list[str]) -> None:
    # One message per person: a recipient never learns who else was told.
    for address in addresses:
        try:
            send_mail(f"[trialkit] {subject}", body + "\n\nSign in to trialkit to read it.",
                      settings.DEFAULT_FROM_EMAIL, [address])
        except OSError:  # the mail server is down: the inbox still holds it
            log.exception("could not e-mail a notification to %s", address)
