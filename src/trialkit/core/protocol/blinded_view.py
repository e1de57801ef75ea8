"""A protocol as a blinded reader may be told it: the view that study-build exports (ODM
metadata, a REDCap dictionary) and a blinded reader's clinical files describe.

A blinded reader learns no arm, not even by inference: so the view holds only the forms asked
for (those a reader's rows hold, or every form that records no real-or-sham procedure), the code
lists they use without a code that names an arm, a sequence, a preparation or a procedure, and
the visits named by their ids without their purposes (a visit's name or purpose may say what an
arm receives there, e.g. a sham puncture).
"""

from __future__ import annotations

from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.reading import reveals_arm


def blinded_view(protocol: Protocol) -> Protocol:
    """Every form that records no real-or-sham procedure, as ``readable_part`` shows it."""
    return readable_part(protocol, {f.id for f in protocol.forms
                                    if not reveals_arm(protocol, f)})


def readable_part(protocol: Protocol, form_ids: set[str] | frozenset[str]
                  ) -> Protocol:
    """The protocol narrowed to some forms (those a blinded reader's rows hold), the codelists
    they use without a code that names an arm (``concealed_values``), and the visits named by
    their ids without their purposes, as a visit's name or purpose may say what an arm
    receives there (not validated again: a view, not a
    protocol; its version is the whole protocol's, passed to ``add_study``)."""
    forms = tuple(f for f in protocol.forms if f.id in form_ids)
    used = {i.codelist for f in forms for i in f.items if i.codelist}
    concealed = concealed_values(protocol)
    codelists = tuple(c.model_copy(update={"items": tuple(
        i for i in c.items if not (_names(i.code, concealed) or _names(i.decode, concealed)))})
        for c in protocol.codelists if c.id in used)
    visits = tuple(v.model_copy(update={"forms": tuple(f for f in v.forms if f in form_ids),
                                        "name": v.id, "purpose": None})
                   for v in protocol.schedule.visits)
    return protocol.model_copy(update={
        "forms": forms, "codelists": codelists,
        "schedule": protocol.schedule.model_copy(update={"visits": visits})})


def concealed_values(protocol: Protocol) -> frozenset[str]:
    """What a blinded reader must not be told, lower case: the arms' and sequences' ids and
    labels, the preparations and the procedures each arm receives (real, sham)."""
    design = protocol.design
    values = {v for a in design.arms for v in (a.id, a.label)}
    values |= {v for part in design.parts for s in part.sequences for v in (s.id, s.label)}
    values |= {v for a in design.administrations for p in a.by_arm.values()
               for v in (p.preparation, p.procedure) if v != "none"}
    return frozenset(v.lower() for v in values)


def _names(text: str, concealed: frozenset[str]) -> bool:
    """Whether a text names a concealed value: is one, or holds a long one (more than 12
    characters, so a short id such as an arm's initials is not found inside other words)."""
    low = text.strip().lower()
    return any(low == bad or (len(bad) > 12 and bad in low) for bad in concealed)
