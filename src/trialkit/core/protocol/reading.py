"""Who reads which form: what the protocol declares, and what its design forbids.

A role reads a form when the form admits it (``Form.read_by``; left out: every role) and the
role takes it (``Role.reads``; left out: every form). Both default to open, so a protocol that
says nothing reads as it always did, and keeps its version (defaults are not part of the
canonical form). The two sides say different things: a form names who may see what it holds
(the record of a sham puncture), a role names what its work needs (a blinded rater reads the
rating and nothing that hints at the arm: adverse events, doses, vital signs, laboratory
results; an unblinded preparer reads no efficacy data).

One rule follows from the design rather than from the lists. A form of kind
``administration`` collected at the visit of an administration whose procedure differs by arm
(real in one arm, sham or none in another: ``Administration.differs_by_arm``) records how it
was done, so it reveals the arm: only a role that sees the procedure type may enter it, and
only a role that sees the procedure type or the allocation may read it (a role blinded until
lock reads it once the database is locked; the server checks that when it is asked).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from trialkit.core.protocol.problems import Loc, Problem

if TYPE_CHECKING:
    from trialkit.core.protocol.design import Administration
    from trialkit.core.protocol.forms import Form
    from trialkit.core.protocol.model import Protocol
    from trialkit.core.protocol.roles import Role

SIGHTED = ("procedure_type", "allocation")
"""What a role must see to read a form that reveals the arm (either tells it the arm)."""


def reads(role: Role, form: Form) -> bool:
    """Whether ``role`` reads ``form`` as the protocol declares it (the lists only; the
    server also applies the design's rule, see ``reveals_arm``)."""
    return ((form.read_by is None or role.id in form.read_by)
            and (role.reads is None or form.id in role.reads))


def readers(p: Protocol, form: Form) -> list[str]:
    """The roles (ids, in protocol order) that read ``form``."""
    return [role.id for role in p.roles if reads(role, form)]


def revealing_administrations(p: Protocol, form: Form) -> list[Administration]:
    """The administrations whose real-or-sham performance ``form`` records: those that
    differ by arm and are given at a visit that collects it, when it records
    administrations."""
    if form.kind != "administration":
        return []
    visits = {v.id for v in p.schedule.visits if form.id in v.forms}
    return [a for a in p.design.administrations if a.differs_by_arm and a.visit in visits]


def reveals_arm(p: Protocol, form: Form) -> bool:
    return bool(revealing_administrations(p, form))


def sighted(role: Role) -> bool:
    """Whether a role may read a form that reveals the arm (at lock, for one blinded until
    then)."""
    return bool(set(SIGHTED) & set(role.sees)) or role.blinded_until_lock


def check(p: Protocol) -> Iterator[Problem]:
    """The reading declarations name what exists, agree with each other and with entering,
    and keep every arm-revealing form from blinded roles."""
    roles = {role.id: role for role in p.roles}
    forms = {form.id for form in p.forms}
    for i, role in enumerate(p.roles):
        for j, form_id in enumerate(role.reads or ()):
            if form_id not in forms:
                yield Problem(("roles", i, "reads", j), f"unknown form '{form_id}' (expected "
                              f"one of: {', '.join(sorted(forms)) or 'none defined'})")
    for i, form in enumerate(p.forms):
        yield from _form(p, roles, form, ("forms", i))
    yield from _performers(p)
    yield from _told_of_serious_events(p)


def _form(p: Protocol, roles: dict[str, Role], form: Form, here: Loc) -> Iterator[Problem]:
    for j, role_id in enumerate(form.read_by or ()):
        role = roles.get(role_id)
        if role is None:
            yield Problem((*here, "read_by", j), f"unknown role '{role_id}' (expected one of: "
                          f"{', '.join(sorted(roles)) or 'none defined'})")
        elif role.reads is not None and form.id not in role.reads:
            yield Problem((*here, "read_by", j), f"names role '{role_id}', whose `reads` "
                          f"leaves out form {form.id}")
    for j, role_id in enumerate(form.entered_by):
        role = roles.get(role_id)
        if role is not None and not reads(role, form):
            yield Problem((*here, "entered_by", j), f"role '{role_id}' enters form "
                          f"{form.id}, so it must read it: {_admit(role, form)}")
    if form.signature_required and not any(
            "sign" in roles[r].can for r in readers(p, form)):
        yield Problem((*here, "signature_required"), f"no role that reads form {form.id} "
                      "can sign (`can: sign`), so it could never be signed")
    yield from _revealing(p, roles, form, here)


def _admit(role: Role, form: Form) -> str:
    missing = []
    if form.read_by is not None and role.id not in form.read_by:
        missing.append("name it in the form's `read_by`")
    if role.reads is not None and form.id not in role.reads:
        missing.append(f"add {form.id} to the role's `reads`")
    return " and ".join(missing)


def _revealing(p: Protocol, roles: dict[str, Role], form: Form,
               here: Loc) -> Iterator[Problem]:
    revealed = revealing_administrations(p, form)
    if not revealed:
        return
    what = (f"form {form.id} records administration "
            f"{', '.join(repr(a.id) for a in revealed)}, whose procedure differs by arm (the "
            "form reveals the arm)")
    for j, role_id in enumerate(form.entered_by):
        role = roles.get(role_id)
        if role is not None and "procedure_type" not in role.sees:
            yield Problem((*here, "entered_by", j), f"{what}: role '{role_id}' enters it but "
                          "does not see the procedure type (`sees: procedure_type`)")
    blind = [r for r in readers(p, form) if not sighted(roles[r])]
    if blind and form.read_by is None:
        yield Problem(here, f"{what}: declare `read_by` with the roles that see the procedure "
                      f"type or the allocation; as it is, blinded roles read it: "
                      f"{', '.join(blind)}")
    elif blind:
        for j, role_id in enumerate(form.read_by or ()):
            if role_id in blind:
                yield Problem((*here, "read_by", j), f"{what}: role '{role_id}' sees neither "
                              "the procedure type nor the allocation")


def _performers(p: Protocol) -> Iterator[Problem]:
    """Whoever performs a procedure that differs by arm enters the form that records it."""
    for i, adm in enumerate(p.design.administrations):
        if not adm.differs_by_arm:
            continue
        recording = [f for f in p.forms if adm in revealing_administrations(p, f)]
        if recording and not any(adm.performed_by in f.entered_by for f in recording):
            yield Problem(("design", "administrations", i, "performed_by"),
                          f"role '{adm.performed_by}' performs '{adm.id}' but enters none of the "
                          f"forms that record it ({', '.join(f.id for f in recording)})")


def _told_of_serious_events(p: Protocol) -> Iterator[Problem]:
    """A serious-event notification names the event (its term and grade), so a role told of
    them reads the adverse-event forms."""
    events = [f for f in p.forms if f.kind == "adverse_event"]
    for i, role in enumerate(p.roles):
        if "serious_adverse_event" not in role.notified_of:
            continue
        unread = [f.id for f in events if not reads(role, f)]
        if unread:
            yield Problem(("roles", i, "notified_of"), f"role '{role.id}' is told of serious "
                          "adverse events, which the notification describes, but does not "
                          f"read form {', '.join(unread)}")
