"""Loading a protocol version and its sites.

The first load makes a server run a trial; a later load of the same trial (same
``identity.id``) with different content is an amendment: a new version becomes current and
every record keeps the version it was made under. Loading an earlier version again makes it
current again, under its first amendment number. A server runs one trial: a protocol with
another identity is refused.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from trialkit.core.forms import edit_check_problems
from trialkit.core.protocol import Protocol, load_protocol, protocol_version
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    action,
    nothing_changed,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import Site, Study


@action(AuditAction.LOAD_PROTOCOL, permission="manage_users", anonymous=True)
def do_load_protocol(path: str | Path, *, actor: Actor | None) -> Study:
    """Make a protocol file the current version (first load or amendment); idempotent.

    ``actor`` is None only for the first load, which happens before anyone can sign in.
    """
    if actor is None and Study.objects.exists():
        raise StateConflictError(_("an amendment must be loaded by an administrator"))
    protocol = load_protocol(path)
    _refuse_bad_checks(protocol)
    running = Study.objects.filter(is_current=True).first()
    if running is not None and running.protocol_id != protocol.identity.id:
        raise StateConflictError(_("this server runs %(running)s; %(loaded)s is another trial"),
                                 field="protocol", running=running.protocol_id,
                                 loaded=protocol.identity.id)
    version = protocol_version(protocol)
    study = Study.objects.filter(protocol_version=version).first()
    if study is not None and study.is_current:
        nothing_changed()
        return study
    study = _make_current(study, protocol, version, path)
    for site in protocol.identity.sites:
        Site.objects.update_or_create(code=site.id, defaults={
            "name": site.name, "country": site.country, "status": site.status,
            "time_zone": site.time_zone})
    record(actor, AuditAction.LOAD_PROTOCOL, study, new={"protocol": protocol.identity.id,
                                               "version": version}, study=study)
    return study


def _make_current(study: Study | None, protocol: Protocol, version: str,
                  path: str | Path) -> Study:
    """The version's row made the current one: a new row, or an earlier version's again."""
    Study.objects.filter(protocol_id=protocol.identity.id, is_current=True).update(
        is_current=False)
    if study is None:
        return Study.objects.create(protocol_id=protocol.identity.id, protocol_version=version,
                                    protocol_text=Path(path).read_text(encoding="utf-8"),
                                    loaded_at=clock.now())
    study.is_current = True
    study.save(update_fields=["is_current"])
    return study


def _refuse_bad_checks(protocol: Protocol) -> None:
    """Edit checks that compare a choice with a code its code list lacks would never fire."""
    codelists = {c.id: c for c in protocol.codelists}
    problems = [p for form in protocol.forms for p in edit_check_problems(form, codelists)]
    if problems:
        raise InvalidInputError("; ".join(problems), field="checks")
