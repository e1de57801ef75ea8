"""A committee decision is e-signed on a safety report: the report a test's chair signs on."""

from __future__ import annotations

from collections.abc import Callable

from trialkit.core.protocol import Protocol
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.smc_reports import do_produce_smc_report, may_produce_smc_report


def open_report(actor_of: Callable[[str], Actor], protocol: Protocol, gate_index: int = 0) -> str:
    """The SHA-256 of a fresh open-session report of the gate (as of today), produced by the
    gate's signer where it may produce one, else by the first study-wide role that may."""
    gate = protocol.gates.committee[gate_index]
    roles = [gate.signer_role, *(r.id for r in protocol.roles
                                 if "review_safety" in r.can and not r.site_scoped)]
    producer = next(a for a in map(actor_of, roles) if may_produce_smc_report(a))
    return do_produce_smc_report(gate_index, "open", actor=producer).pdf_sha256
