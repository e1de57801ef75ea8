"""A participant's casebook and their randomization confirmation, as PDFs to file or sign.

The casebook holds every form the reader's role reads, visit by visit: the latest values in
words, each version (who saved it, when, why), each signature with its meaning and whether it
still holds, each item's changes, and the participant's audit trail. The confirmation is the
page a site files when a participant is randomized: number, kit code, when, by whom and the
stratification levels, never the arm (it is printed for blinded readers too).

Times are on the participant's site's clock, with the offset. Both go through the one PDF
renderer (``trialkit.reports.pdf_document``).
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from trialkit.core.protocol import Protocol
from trialkit.core.randomization.lists import stratum_in_words
from trialkit.core.reporting.display import DisplayTable
from trialkit.reports.pdf_document import render_pdf
from trialkit.reports.smc_sections import Block, Bullets, Heading, Paragraph
from trialkit.web.pages.item_values import value_in_words, values_in_words
from trialkit.web.pages.local_time import wall_clock
from trialkit.web.pages.participant_trail import participant_trail
from trialkit.web.trial import access, clock
from trialkit.web.trial.actions.base import Actor, NotFoundError
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.capture_queries import VersionView, form_versions, item_audit_trail
from trialkit.web.trial.models import AuditEvent, FormRecord, Participant, RandomizationSlot
from trialkit.web.trial.queries_schedule import visit_schedule
from trialkit.web.trial.site_time import zone_of


def casebook_pdf(participant: Participant, actor: Actor) -> bytes:
    # A filed record in English; what people wrote in Chinese prints as written (pdf_fonts.py).
    with translation.override("en"):
        return _casebook_pdf(participant, actor)


def randomization_confirmation_pdf(participant: Participant, actor: Actor) -> bytes:
    with translation.override("en"):
        return _randomization_confirmation_pdf(participant, actor)


def _casebook_pdf(participant: Participant, actor: Actor) -> bytes:
    protocol = actor.protocol()
    with timezone.override(zone_of(participant.site)):
        blocks = [*_identity(protocol, participant, actor), *_forms(protocol, participant, actor),
                  *_trail(participant, actor), _printed(protocol, participant, actor)]
    return render_pdf(_first_line(protocol, participant, "casebook"),
                      f"Casebook {participant.screening_number}", blocks, clock.now())


def _randomization_confirmation_pdf(participant: Participant, actor: Actor) -> bytes:
    protocol = actor.protocol()
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    number_and_kit = access.randomization_number_and_kit(participant, actor)
    if slot is None or number_and_kit is None:
        raise NotFoundError(gettext_lazy("this participant has not been randomized"),
                            field="participant_id")
    number, kit = number_and_kit
    event = AuditEvent.objects.filter(action="randomize_participant", object_type="Participant",
                                      object_id=str(participant.pk)).order_by("sequence").first()
    with timezone.override(zone_of(participant.site)):
        facts = [f"Participant: {participant.screening_number} at {participant.site.name}",
                 f"Part: {_part_name(protocol, participant)}",
                 f"Randomization number: {number}", f"Kit code: {kit}",
                 "Randomized at: " + (wall_clock(slot.allocated_at) if slot.allocated_at
                                      else "not recorded")]
        if event is not None:
            facts.append(f"Randomized by: {event.actor} "
                         f"({_role_name(protocol, event.actor_role)})")
        blocks: list[Block] = [
            Heading("Randomization confirmation", 1), Bullets(tuple(facts)),
            Paragraph("Stratification at randomization: " + stratum_in_words(
                protocol, tuple((slot.levels or {}).items()))),
            Paragraph("The treatment allocated is not printed: this confirmation is filed in "
                      "the site's records and read by blinded staff. Give the kit code to the "
                      "person who prepares the study treatment."),
            _printed(protocol, participant, actor)]
    return render_pdf(_first_line(protocol, participant, "randomization confirmation"),
                      f"Randomization {participant.screening_number}", blocks, clock.now())


def _first_line(protocol: Protocol, participant: Participant, what: str) -> str:
    return (f"{protocol.identity.id} · {what} · participant {participant.screening_number} · "
            f"site {participant.site.name}")


def _identity(protocol: Protocol, participant: Participant, actor: Actor) -> list[Block]:
    facts = [f"Site: {participant.site.name} ({participant.site.country})",
             f"Part: {_part_name(protocol, participant)}",
             f"Status: {participant.get_status_display()}",
             "Consent: " + (f"{participant.consent_date:%Y-%m-%d}, form version "
                            f"{participant.consent_form_version or 'not recorded'}"
                            if participant.consent_date else "not recorded"),
             "Enrolled: " + (wall_clock(participant.enrolled_at) if participant.enrolled_at
                             else "no")]
    number_and_kit = access.randomization_number_and_kit(participant, actor)
    if number_and_kit is not None:
        facts.append(f"Randomization number {number_and_kit[0]}, kit {number_and_kit[1]}")
    if participant.locked_at:
        facts.append(f"Data locked: {wall_clock(participant.locked_at)}")
    return [Heading(f"Participant {participant.screening_number}", 1), Bullets(tuple(facts))]


def _forms(protocol: Protocol, participant: Participant, actor: Actor) -> list[Block]:
    order = {row.visit_id: (i, row.name) for i, row in enumerate(
        visit_schedule(participant, actor))}
    records = sorted(readable(actor, FormRecord.objects.filter(participant=participant)),
                     key=lambda r: (order.get(r.visit_id, (len(order), ""))[0], r.form_id,
                                    r.repeat_index))
    blocks: list[Block] = [Heading("Forms", 1)]
    if not records:
        blocks.append(Paragraph("No form has been saved."))
    for record in records:
        form = protocol.form(record.form_id)
        versions = form_versions(record, actor=actor)
        if not versions:
            continue
        latest = versions[-1]
        where = order.get(record.visit_id, (0, record.visit_id))[1]
        title = f"{form.name} · {where}" + (f" · {record.repeat_index}"
                                            if form.repeating else "")
        blocks += [Heading(title, 2),
                   DisplayTable(f"Values, version {latest.number}", ("Item", "Value"),
                                tuple(values_in_words(protocol, form, latest.data))),
                   DisplayTable("Versions and signatures", ("Version", "Saved", "By", "Reason",
                                                            "Signatures"),
                                tuple(_version_row(protocol, v) for v in versions))]
        changes = [(item, change) for item, trail in item_audit_trail(record, actor=actor).items()
                   for change in trail if change.version > 1]
        if changes:
            labels = {i.id: i.label for i in form.items}
            blocks.append(DisplayTable("Changes after the first version", (
                "Item", "Version", "Old", "New", "By", "When", "Reason"), tuple(
                (labels.get(item, item), str(c.version),
                 value_in_words(protocol, form.item(item) if item in labels else None, c.old),
                 value_in_words(protocol, form.item(item) if item in labels else None, c.new),
                 c.by, wall_clock(c.at), c.reason) for item, c in changes)))
    return blocks


def _version_row(protocol: Protocol, version: VersionView) -> tuple[str, ...]:
    signed = "; ".join(
        f"{s.printed_name} ({_role_name(protocol, s.signer_role)}), {wall_clock(s.signed_at)}, "
        f"{s.meaning}" + ("" if s.valid else " (no longer valid: the form changed)")
        for s in version.signatures) or "none"
    return (str(version.number), wall_clock(version.saved_at),
            f"{version.saved_by} ({_role_name(protocol, version.saved_role)})",
            version.reason or "—", signed)


def _trail(participant: Participant, actor: Actor) -> list[Block]:
    lines = participant_trail(participant, actor)
    # No sequence numbers or database ids: the gaps between a participant's sequence numbers
    # would count the events a blinded reader may not see (the unblinded preparation's).
    return [Heading("Audit trail", 1), DisplayTable(
        "Every recorded change to this participant and their forms, oldest first",
        ("When", "Who", "Action", "Record", "Change", "Reason"),
        tuple((wall_clock(e.occurred_at), f"{e.actor} ({e.role_name})", e.action_shown,
               e.object_shown, _change(e), e.reason) for e in lines))]


def _change(event: AuditEvent) -> str:
    def joined(pairs: list[tuple[str, str]]) -> str:
        return "; ".join(f"{field}: {value}" if field else value for field, value in pairs)
    new = joined(event.new_shown)
    return f"{joined(event.old_shown)} → {new}" if event.old_shown else new


def _printed(protocol: Protocol, participant: Participant, actor: Actor) -> Paragraph:
    return Paragraph(f"Printed by {actor.name} ({protocol.role(actor.role).name}) on "
                     f"{wall_clock(clock.now())}. Times are on the site's clock "
                     f"({participant.site.time_zone}).")


def _part_name(protocol: Protocol, participant: Participant) -> str:
    return next((p.name for p in protocol.design.parts if p.id == participant.part),
                participant.part or "not yet in a part")


def _role_name(protocol: Protocol, role_id: str) -> str:
    return next((r.name for r in protocol.roles if r.id == role_id), role_id)
