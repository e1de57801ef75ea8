"""Loading a protocol version and its sites."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone

from trialkit.core.protocol import load_protocol, protocol_version
from trialkit.web.trial.actions.base import Actor, StateConflictError, audited, record
from trialkit.web.trial.models import Site, Study


@audited("load_protocol")
def do_load_protocol(path: str | Path, *, actor: Actor | None) -> Study:
    """Make a protocol file the current version (first load or amendment); idempotent.

    ``actor`` is None only for the first load, which happens before anyone can sign in.
    """
    if actor is not None:
        actor.require("manage_users")
    elif Study.objects.exists():
        raise StateConflictError("an amendment must be loaded by an administrator")
    protocol = load_protocol(path)
    version = protocol_version(protocol)
    existing = Study.objects.filter(protocol_version=version).first()
    if existing is not None and existing.is_current:
        return existing
    text = Path(path).read_text(encoding="utf-8")
    Study.objects.filter(protocol_id=protocol.identity.id, is_current=True).update(
        is_current=False)
    study = Study.objects.create(protocol_id=protocol.identity.id, protocol_version=version,
                                 protocol_text=text, loaded_at=timezone.now())
    for site in protocol.identity.sites:
        Site.objects.update_or_create(code=site.id, defaults={
            "name": site.name, "country": site.country, "status": site.status})
    record(actor, "load_protocol", study, new={"protocol": protocol.identity.id,
                                               "version": version}, study=study)
    return study
