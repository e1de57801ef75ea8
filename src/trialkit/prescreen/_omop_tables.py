"""OMOP drug exposures and attestation answers → logical medications and attestations."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen.logical import SCHEMAS

RXNORM_VOCABULARIES = ("RxNorm", "RxNorm Extension")


def patient_key(person_id: ir.Value) -> ir.Value:
    """``person_id`` as one key type on every logical table, whatever width each OMOP table
    was written with: int64 for any integer (cheap joins, docs/adr/0006), else text."""
    return person_id.cast("int64") if person_id.type().is_integer() else person_id.cast("string")


def empty_like(name: str, person: ir.Table) -> ir.Table:
    """An empty logical table keyed like every other, made from the person table itself: an
    in-memory table would have to be uploaded, which PostgreSQL does as a temporary table."""
    columns = {field.name: (patient_key(person.person_id) if field.name == "patient_id"
                            else ibis.null(ibis.dtype(field.type)))
               for field in SCHEMAS[name]}
    return person.filter(ibis.literal(False)).select(**columns)


def medications(tables: dict[str, ir.Table], concept: ir.Table) -> ir.Table:
    """One row per exposure and ingredient: the drug concept itself when it is an ingredient,
    else its ingredient ancestors through ``concept_ancestor`` when the extract has it."""
    if "drug_exposure" not in tables:
        return empty_like("medications", tables["person"])
    de = tables["drug_exposure"]
    ingredients = concept.filter(concept.concept_class_id == "Ingredient").select(
        iid=concept.concept_id, ingredient=concept.concept_name.lower(),
        rxnorm=ibis.ifelse(concept.vocabulary_id.isin(RXNORM_VOCABULARIES),
                           concept.concept_code, ibis.null("string")))
    links = de.select(eid="drug_exposure_id", iid="drug_concept_id")
    if "concept_ancestor" in tables:
        ca = tables["concept_ancestor"]
        ancestors = ca.select(eid=ca.descendant_concept_id, iid=ca.ancestor_concept_id)
        by_drug = de.join(ancestors, de.drug_concept_id == ancestors.eid).select(
            eid=de.drug_exposure_id, iid=ancestors.iid)
        links = ibis.union(links, by_drug, distinct=True)
    named = links.join(ingredients, "iid")
    routes = concept.select(rid=concept.concept_id, route=concept.concept_name.lower())
    j = de.join(named, de.drug_exposure_id == named.eid)
    j = j.left_join(routes, j.route_concept_id == routes.rid)
    return j.select(
        patient_id=patient_key(j.person_id), ingredient=j.ingredient,
        start_date=j.drug_exposure_start_date.cast("date"),
        end_date=j.drug_exposure_end_date.cast("date"), rxnorm=j.rxnorm,
        atc=ibis.null("string"), route=j.route).distinct()


def latest_answers(rows: ir.Table, concept: ir.Table) -> ir.Table:
    """Each attestation's answer on its latest date; conflicting answers that day = unknown."""
    answers = concept.select(aid=concept.concept_id, avocab=concept.vocabulary_id,
                             acode=concept.concept_code)
    j = rows.join(answers, rows.value_as_concept_id == answers.aid)
    yes = (j.avocab == oc.YES[0]) & (j.acode == oc.YES[1])
    no = (j.avocab == oc.NO[0]) & (j.acode == oc.NO[1])
    j = j.filter(yes | no).mutate(answer=yes, key=j.concept_code,
                                  pid=patient_key(j.person_id))
    last = j.group_by(["pid", "key"]).aggregate(day=j.observation_date.max())
    on_last = j.join(last, [j.pid == last.pid, j.key == last.key,
                            j.observation_date == last.day])
    folded = on_last.group_by([on_last.pid, on_last.key]).aggregate(
        all_yes=on_last.answer.all(), any_yes=on_last.answer.any())
    agreed = folded.filter(folded.all_yes | ~folded.any_yes)
    return agreed.select(patient_id=agreed.pid, key=agreed.key, value=agreed.all_yes)
