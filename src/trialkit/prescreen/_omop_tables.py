"""OMOP drug exposures, attestation answers and a protocol's declared tables → logical tables.

A protocol table is filled from its ``omop`` declaration: each source (an OMOP table and a
concept by vocabulary and code) gives rows of (person, date, value). One source gives its own
rows (a ``rows_from`` source carries no value, so one row per person and date); several are
merged per person and date, each column taking the largest value read that day. Rows lacking
a required column are dropped.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from trialkit.core.protocol.record import OmopSource, TableDef
from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen.logical import ARROW_TYPES

CONCEPT_COLUMNS = {"observation": ("observation_concept_id", "observation_date"),
                   "measurement": ("measurement_concept_id", "measurement_date"),
                   "procedure_occurrence": ("procedure_concept_id", "procedure_date"),
                   "condition_occurrence": ("condition_concept_id", "condition_start_date")}
"""OMOP table → (its concept column, its date column)."""

RXNORM_VOCABULARIES = ("RxNorm", "RxNorm Extension")


def patient_key(person_id: ir.Value) -> ir.Value:
    """``person_id`` as one key type on every logical table, whatever width each OMOP table
    was written with: int64 for any integer (cheap joins, docs/adr/0006), else text."""
    return person_id.cast("int64") if person_id.type().is_integer() else person_id.cast("string")


def empty_like(schema: pa.Schema, person: ir.Table) -> ir.Table:
    """An empty logical table keyed like every other, made from the person table itself: an
    in-memory table would have to be uploaded, which PostgreSQL does as a temporary table."""
    columns = {field.name: (patient_key(person.person_id) if field.name == "patient_id"
                            else ibis.null(ibis.dtype(field.type)))
               for field in schema}
    return person.filter(ibis.literal(False)).select(**columns)


def keyed(tables: dict[str, ir.Table], concept: ir.Table, table: str,
          keys: tuple[tuple[str, str], ...]) -> ir.Table | None:
    """Rows of the OMOP ``table`` whose concept is one of ``keys`` (vocabulary, code), with
    ``vocabulary_id`` and ``concept_code`` beside them; None if the extract lacks the table."""
    if table not in tables:
        return None
    t, c = tables[table], concept
    wanted = ibis.or_(*[(c.vocabulary_id == v) & (c.concept_code == code) for v, code in keys])
    chosen = c.filter(wanted).select(cid=c.concept_id, vocabulary_id=c.vocabulary_id,
                                     concept_code=c.concept_code)
    return t.join(chosen, t[CONCEPT_COLUMNS[table][0]] == chosen.cid)


def _source_rows(tables: dict[str, ir.Table], concept: ir.Table, source: OmopSource,
                 column: str | None, columns: tuple[str, ...]) -> ir.Table | None:
    """(pid, day, one column per value column) of one source: ``column`` takes the source's
    ``value_as_number``, the others null."""
    rows = keyed(tables, concept, source.table, ((source.vocabulary, source.code),))
    if rows is None:
        return None
    value = (rows.value_as_number.cast("float64") if "value_as_number" in rows.columns
             else ibis.null("float64"))
    return rows.select(pid=patient_key(rows.person_id),
                       day=rows[CONCEPT_COLUMNS[source.table][1]].cast("date"),
                       **{c: (value if c == column else ibis.null("float64"))
                          for c in columns})


def declared_table(tables: dict[str, ir.Table], concept: ir.Table,
                   table: TableDef) -> ir.Table | None:
    """A protocol table from its ``omop`` declaration; None when no source is in the extract."""
    assert table.omop is not None
    columns = tuple(table.omop.columns)
    parts = [_source_rows(tables, concept, source, None, columns)
             for source in table.omop.rows_from]
    parts += [_source_rows(tables, concept, source, column, columns)
              for column, source in table.omop.columns.items()]
    present = [part for part in parts if part is not None]
    if not present:
        return None
    if len(parts) == 1:
        rows = present[0] if columns else present[0].distinct()
    else:
        u = ibis.union(*present)
        rows = u.group_by(["pid", "day"]).aggregate(**{c: u[c].max() for c in columns})
    types = {c.id: ARROW_TYPES[c.type] for c in table.columns}
    selected = {c.id: (rows.day if c.id == table.date
                       else rows[c.id].cast(ibis.dtype(types[c.id])) if c.id in columns
                       else ibis.null(ibis.dtype(types[c.id])))
                for c in table.columns}
    out = rows.select(patient_id=rows.pid, **selected)
    required = [c.id for c in table.columns if c.required and c.id != table.date]
    return out.filter(ibis.and_(*[out[c].notnull() for c in required])) if required else out


def medications(tables: dict[str, ir.Table], concept: ir.Table, schema: pa.Schema) -> ir.Table:
    """One row per exposure and ingredient: the drug concept itself when it is an ingredient,
    else its ingredient ancestors through ``concept_ancestor`` when the extract has it."""
    if "drug_exposure" not in tables:
        return empty_like(schema, tables["person"])
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
