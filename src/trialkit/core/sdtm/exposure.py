"""EC and EX: the protocol administrations given (``rows.doses``), one record per dose.

SDTMIG 3.3 (section 6.1, EC) separates exposure *as collected*, which may be masked, from
exposure in protocol-specified terms, which names the product and is unmasked. Here:

- **EC** holds every dose as the blinded site collects it, for blinded and unblinded readers
  alike: ECTRT is ``BLINDED <administration>`` whenever the arms receive different
  preparations (else the one preparation), with the route, the date and time, the visit and
  EPOCH. Nothing in it depends on the arm, and no form that records a real-or-sham procedure
  is read for it, so two participants with the same history in different arms have the same
  EC records.
- **EX** exists only for a reader who may see arms (``rows.trial.allocations`` is set). It
  names what the participant's arm received at that administration (the preparation), with the
  dose, unit, lot and kit reference from the administration form's EX-annotated items. A sham
  procedure gives no product, so it has no EX record (it is a PR record: ``interventions``);
  neither has an arm that receives nothing at an administration (``procedure: none``).

EXROUTE/ECROUTE are CDISC Route of Administration (C66729) submission values.
"""

from __future__ import annotations

from collections.abc import Sequence

from trialkit.core.adam.rows import FormRow
from trialkit.core.adam.values import as_number
from trialkit.core.exchange.rows import DoseRow
from trialkit.core.protocol.design import Administration, ArmPreparation
from trialkit.core.protocol.forms import Form
from trialkit.core.sdtm._collected import (
    Row,
    annotated,
    annotated_names,
    build,
    collected,
    extra_variables,
    forms_naming,
    identifiers,
    place,
    present,
    records,
    supplemental,
    timing,
    var,
)
from trialkit.core.sdtm.common import Context, Domain, iso_date, with_sequence

ROUTES = {"intravenous": "INTRAVENOUS", "intrathecal": "INTRATHECAL",
          "subcutaneous": "SUBCUTANEOUS", "oral": "ORAL", "intramuscular": "INTRAMUSCULAR"}
"""The protocol's routes as C66729 submission values ("other" has none: left empty)."""
FROM_FORM = ("EXDOSE", "EXDOSU", "EXLOT", "EXREFID", "EXENDTC")
"""EX variables read from the administration form; the rest are derived from the dose."""
EX_EXPECTED = ("EXDOSE", "EXDOSU", "EXDOSFRM", "EXENDTC")
"""Expected by the SDTMIG: present, empty where the protocol does not collect them."""
DERIVED = ("EXTRT", "EXROUTE", "EXSTDTC", "EPOCH", "VISITNUM", "VISIT", "EXSTDY", "EXLNKID")

EC_VARIABLES = (
    *identifiers("EC"),
    var("ECLNKID", "Link ID", role="Identifier"),
    var("ECTRT", "Name of Treatment", role="Topic"),
    var("ECMOOD", "Mood", role="Record Qualifier", codelist="C117745"),
    var("ECROUTE", "Route of Administration", role="Variable Qualifier", codelist="C66729"),
    var("ECSTDTC", "Start Date/Time of Treatment", "datetime", "Timing", origin="Collected"),
    *timing("EC", "Study Day of Start of Treatment"))
EX_VARIABLES = (
    *identifiers("EX"),
    var("EXLNKID", "Link ID", role="Identifier"),
    var("EXTRT", "Name of Treatment", role="Topic", origin="Assigned"),
    var("EXDOSE", "Dose", "float", "Record Qualifier", origin="Collected"),
    var("EXDOSU", "Dose Units", role="Variable Qualifier", codelist="C71620",
        origin="Collected"),
    var("EXDOSFRM", "Dose Form", role="Variable Qualifier", codelist="C66726"),
    var("EXROUTE", "Route of Administration", role="Variable Qualifier", codelist="C66729"),
    var("EXLOT", "Lot Number", role="Record Qualifier", origin="Collected"),
    var("EXREFID", "Reference ID", role="Identifier", origin="Collected"),
    var("EXSTDTC", "Start Date/Time of Treatment", "datetime", "Timing", origin="Collected"),
    var("EXENDTC", "End Date/Time of Treatment", "datetime", "Timing", origin="Collected"),
    *timing("EX", "Study Day of Start of Treatment"))


def exposure(context: Context) -> Sequence[Domain]:
    if not context.protocol.design.administrations:
        return []
    domains = [collected_exposure(context)]
    if not context.rows.blinded:
        domains += unblinded_exposure(context)
    return domains


def doses(context: Context) -> list[tuple[DoseRow, Administration]]:
    known = {p.key for p in context.rows.trial.participants}
    given = {a.id: a for a in context.protocol.design.administrations}
    return [(d, given[d.administration]) for d in context.rows.doses
            if d.participant in known and d.administration in given]


def masked_name(administration: Administration) -> str:
    """What a blinded site calls what it gave: the preparation when every arm gets the same,
    else ``BLINDED`` and the administration's name."""
    preparations = {p.preparation for p in administration.by_arm.values()}
    if len(preparations) == 1:
        return preparations.pop()
    return f"BLINDED {administration.name.upper()}"


def collected_exposure(context: Context) -> Domain:
    rows: list[Row] = []
    for dose, administration in doses(context):
        row = _dose_row(context, "EC", dose, administration)
        row.update({"ECTRT": masked_name(administration), "ECMOOD": "PERFORMED",
                    "ECROUTE": ROUTES.get(administration.route, "")})
        rows.append(row)
    ordered = with_sequence(rows, "EC", ("ECSTDTC", "ECLNKID"))
    return build("EC", "Exposure as Collected", "Interventions", EC_VARIABLES, ordered,
                  ("STUDYID", "USUBJID", "ECTRT", "ECSTDTC"))


def unblinded_exposure(context: Context) -> list[Domain]:
    forms = forms_naming(context, "EX")
    by_visit = {(r.participant, r.visit): (f, r) for f, r in records(context, forms)}
    rows: list[Row] = []
    for dose, administration in doses(context):
        content = arm_content(context, dose.participant, administration)
        if content is None or content.procedure != "real":
            continue
        row = _dose_row(context, "EX", dose, administration)
        row.update({"EXTRT": content.preparation,
                    "EXROUTE": ROUTES.get(administration.route, "")})
        found = by_visit.get((dose.participant, administration.visit))
        if found is not None:
            row.update(_form_values(context, *found))
        row["EXENDTC"] = row.get("EXENDTC") or row["EXSTDTC"]  # given at one point in time
        rows.append(row)
    ordered = with_sequence(rows, "EX", ("EXSTDTC", "EXLNKID"))
    extra = extra_variables(context, "EX", [*(v.name for v in EX_VARIABLES), *DERIVED])
    supp = supplemental(context, "EX", ordered, extra)
    keep = {v.name for v in EX_VARIABLES if v.name not in FROM_FORM or v.name in EX_EXPECTED}
    keep |= annotated_names(context, "EX")
    return [build("EX", "Exposure", "Interventions", present(EX_VARIABLES, keep), ordered,
                   ("STUDYID", "USUBJID", "EXTRT", "EXSTDTC")), *supp]


def arm_content(context: Context, participant: int,
                administration: Administration) -> ArmPreparation | None:
    """What the participant's arm received at ``administration`` (None when unknown): the
    allocated arm, or in a crossover the arm the sequence gives for its period; a participant
    of a one-arm part has that arm."""
    allocations = context.rows.trial.allocations or {}
    allocation = allocations.get(participant)
    part_id = next((p.part for p in context.rows.trial.participants if p.key == participant),
                   "")
    part = next((p for p in context.protocol.design.parts if p.id == part_id), None)
    arm = allocation.arm if allocation is not None else ""
    if allocation is not None and allocation.sequence and part is not None \
            and administration.period:
        arm = part.arm_in_period(allocation.sequence, administration.period)
    if not arm and part is not None and len(part.arms) == 1:
        arm = part.arms[0]
    return administration.by_arm.get(arm)


def _dose_row(context: Context, d: str, dose: DoseRow, administration: Administration) -> Row:
    row = place(context, d, dose.participant, administration.visit, iso_date(dose.given_at))
    row[f"{d}STDTC"] = iso_date(dose.given_at)
    row[f"{d}LNKID"] = administration.id.upper()
    return row


def _form_values(context: Context, form: Form, record: FormRow) -> Row:
    """EXDOSE (with its item's unit as EXDOSU), EXLOT, EXREFID, EXENDTC and the protocol's
    non-standard EX annotations from the administration form's record."""
    values: Row = {}
    for item in annotated(form, "EX"):
        name = item.cdisc.variable if item.cdisc is not None else None
        if not name or name in DERIVED:
            continue
        value = record.data.get(item.id)
        if name == "EXDOSE":
            values["EXDOSE"] = as_number(value)
            values.setdefault("EXDOSU", item.unit or "")
        else:
            values[name] = collected(context, item, value)
    return values


BUILDERS = (exposure,)
