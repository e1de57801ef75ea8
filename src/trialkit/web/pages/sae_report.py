"""A serious adverse event as a printable report in the layout of the CIOMS I form: the event
as recorded, seriousness and outcome, the study treatment given (blinded), and the reporting
history (awareness, deadline, each report sent, to whom, their reference).

Only what the reader's role may read is printed: the form values in words, administration
names and dates, never an arm, a preparation or a procedure type. The PDF goes through the
same renderer as the committee's reports (``trialkit.reports.pdf_document``).
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.core.reporting.display import DisplayTable
from trialkit.reports.pdf_document import render_pdf
from trialkit.reports.smc_sections import Block, Bullets, Heading, Paragraph
from trialkit.web.pages.item_values import values_in_words
from trialkit.web.pages.local_time import wall_clock
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor, NotFoundError
from trialkit.web.trial.capture_queries import VersionView, form_versions
from trialkit.web.trial.models import FormRecord, SeriousEventClock
from trialkit.web.trial.site_time import zone_of


def sae_report_pdf(record: FormRecord, actor: Actor) -> bytes:
    """The report of the serious event on ``record`` (read through ``form_record_for``), in
    English whatever the reader's language: the CIOMS form is an English record (helpers it
    calls may translate: they speak English here). What people wrote in Chinese prints as they
    wrote it (the PDF's fallback fonts, reports/pdf_fonts.py)."""
    sae_clock = SeriousEventClock.objects.filter(record=record).first()
    if sae_clock is None:
        raise NotFoundError(_("this form records no serious event"),
                            field="record_id")
    with translation.override("en"):
        return _report(record, sae_clock, actor)


def _report(record: FormRecord, sae_clock: SeriousEventClock, actor: Actor) -> bytes:
    protocol = actor.protocol()
    participant = record.participant
    form = protocol.form(record.form_id)
    versions = form_versions(record, actor=actor)
    latest = versions[-1]
    first = (f"{protocol.identity.id} · serious adverse event report · participant "
             f"{participant.screening_number} · site {participant.site.name} "
             f"({participant.site.country})")
    with timezone.override(zone_of(participant.site)):
        blocks = _blocks(protocol, form, record, sae_clock, latest, actor)
    now = clock.now()
    return render_pdf(first, f"SAE report {participant.screening_number}", blocks, now)


def _blocks(protocol: Protocol, form: Form, record: FormRecord, sae_clock: SeriousEventClock,
            latest: VersionView, actor: Actor) -> list[Block]:
    participant = record.participant
    administrations = {a.id: a.name for a in protocol.design.administrations}
    doses = participant.administrations.order_by("given_at")
    reports = sae_clock.reports.order_by("sent_at", "pk")
    late = sae_clock.reported_at is not None and sae_clock.reported_at > sae_clock.deadline
    return [
        Heading("I. The event as recorded", 1),
        DisplayTable(f"{form.name}, version {latest.number} (saved {wall_clock(latest.saved_at)}"
                     f" by {latest.saved_by})", ("Item", "Value"),
                     tuple(values_in_words(protocol, form, latest.data))),
        Heading("II. Study treatment (blinded)", 1),
        Paragraph("The allocation is not shown: this report is written for blinded readers."),
        DisplayTable("Administrations given", ("Administration", "Given at"),
                     tuple((administrations.get(d.administration_id, d.administration_id),
                            wall_clock(d.given_at)) for d in doses)),
        Heading("III. Reporting", 1),
        Bullets((f"Site became aware: {wall_clock(sae_clock.aware_at)}",
                 f"Initial report due: {wall_clock(sae_clock.deadline)}",
                 "Initial report: " + (
                     f"sent {wall_clock(sae_clock.reported_at)}"
                     + (" (late)" if late else " (on time)")
                     if sae_clock.reported_at else "not yet sent"))),
        DisplayTable("Reports sent", ("Report", "Sent at", "Sent to", "Reference",
                                      "Recorded by"),
                     tuple((r.get_kind_display(), wall_clock(r.sent_at), r.recipient,
                            r.reference, r.recorded_by) for r in reports)),
        Paragraph(f"Printed by {actor.name} ({protocol.role(actor.role).name}) on "
                  f"{wall_clock(clock.now())}. Times are on the site's clock "
                  f"({participant.site.time_zone})."),
    ]
