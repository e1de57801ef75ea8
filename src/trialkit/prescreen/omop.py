"""OMOP CDM v5.4 → the logical patient tables (docs/omop-mapping.md explains each choice).

The base tables (patient, diagnoses, medications, labs) have a fixed mapping here; a
protocol's own tables are filled from their ``omop`` declarations (``_omop_tables``), and the
attestations read are the ones the protocol's criteria name. Concept ids are always read
through the extract's own ``concept`` table (vocabulary_id + concept_code), never compared as
numbers, so the mapping works on any vocabulary release and on site-local concepts alike.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from trialkit.core.eligibility import units
from trialkit.core.protocol.record import ATTESTATIONS, PATIENT_TABLE
from trialkit.prescreen import omop_concepts as oc
from trialkit.prescreen._omop_tables import (
    declared_table,
    empty_like,
    keyed,
    latest_answers,
    medications,
    patient_key,
)
from trialkit.prescreen.backends import connect_postgres, parse_postgres_url
from trialkit.prescreen.logical import LogicalTables, RecordSpec, arrow_schemas

REQUIRED = ("person", "concept")
EVENT_TABLES = ("observation_period", "condition_occurrence", "drug_exposure", "measurement",
                "observation", "procedure_occurrence")
"""Without any one of these, absence of events is no evidence (see ``_with_observation``)."""
OPTIONAL = ("observation_period", "condition_occurrence", "drug_exposure", "measurement",
            "observation", "procedure_occurrence", "concept_ancestor")
DIAGNOSIS_VOCABULARIES = {"SNOMED": "SNOMED:", "ICD10": "ICD10:", "ICD10CM": "ICD10:"}
# Qualitative answers: SNOMED qualifier values and the LOINC answers LA6576-8 / LA6577-6.
POSITIVE_KEYS = (oc.POSITIVE, ("LOINC", "LA6576-8"))
NEGATIVE_KEYS = (oc.NEGATIVE, ("LOINC", "LA6577-6"))


class OmopError(ValueError):
    """An extract that lacks a table or column the mapping needs."""


def read_omop(source: Path, con: BaseBackend | None = None) -> tuple[BaseBackend, dict[str,
                                                                                     ir.Table]]:
    """The OMOP tables of a Parquet folder (``<table>.parquet`` or ``<table>/*.parquet``) or
    of a DuckDB database file."""
    if source.is_file():
        # Attached read-only to an in-memory database, which can still hold the views a
        # partitioned pre-screen creates.
        duck = ibis.duckdb.connect()
        duck.raw_sql("SET enable_progress_bar = false")
        alias = "omop_extract"
        quoted = str(source).replace("'", "''")
        duck.raw_sql(f"ATTACH '{quoted}' AS {alias} (READ_ONLY)")
        # Asked of DuckDB itself: Ibis's list_tables trips over duckdb 2's Python API.
        listed = duck.con.execute("SELECT table_name FROM information_schema.tables "
                                  "WHERE table_catalog = ?", [alias]).fetchall()
        present = {str(row[0]) for row in listed}
        tables = {name: duck.table(name, database=alias) for name in (*REQUIRED, *OPTIONAL)
                  if name in present}
        con = duck
    else:
        if con is None:
            con = ibis.duckdb.connect()
            con.raw_sql("SET enable_progress_bar = false")
        tables = {}
        for name in (*REQUIRED, *OPTIONAL):
            path = _parquet_path(source, name)
            if path is not None:
                tables[name] = con.read_parquet(path, table_name=f"omop_{name}")
    missing = [name for name in REQUIRED if name not in tables]
    if missing:
        raise OmopError(f"{source}: no OMOP table {', '.join(missing)}")
    return con, tables


def read_omop_postgres(url: str) -> tuple[BaseBackend, dict[str, ir.Table]]:
    """The OMOP tables of one PostgreSQL schema (``?schema=``, default ``public``). Nothing is
    written to that database: the pre-screen only reads."""
    address = parse_postgres_url(url)
    con = connect_postgres(url)
    try:
        # pg_catalog lists tables and views whatever the account may read (the information
        # schema hides unreadable ones, which would then pass for absent): reading one then
        # fails loudly instead.
        listed = con.raw_sql("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s "
                             "UNION SELECT viewname FROM pg_catalog.pg_views "
                             "WHERE schemaname = %s", params=(address.schema, address.schema))
        with listed as cursor:
            present = {str(row[0]) for row in cursor.fetchall()}
        tables = {name: con.table(name, database=address.schema)
                  for name in (*REQUIRED, *OPTIONAL) if name in present}
        missing = [name for name in REQUIRED if name not in tables]
        if missing:
            raise OmopError(f"schema {address.schema!r} of {address.database}: no OMOP table "
                            f"{', '.join(missing)}")
    except BaseException:
        con.disconnect()
        raise
    return con, tables


def _parquet_path(folder: Path, name: str) -> str | None:
    if (folder / f"{name}.parquet").is_file():
        return str(folder / f"{name}.parquet")
    if (folder / name).is_dir() and any((folder / name).glob("*.parquet")):
        return str(folder / name / "*.parquet")
    return None


def omop_to_logical(tables: dict[str, ir.Table], *, as_of: dt.date,
                    spec: RecordSpec) -> LogicalTables:
    """Map OMOP tables onto the logical tables of ``spec``'s record schema; ``as_of`` is every
    patient's consent and index date (OMOP holds neither)."""
    concept = tables["concept"].select("concept_id", "concept_name", "vocabulary_id",
                                       "concept_code", "concept_class_id")
    mapper = _Mapper(tables, concept, spec)
    base = {PATIENT_TABLE: mapper.patient(as_of), "diagnoses": mapper.diagnoses(),
            "medications": mapper.medications(), "labs": mapper.labs(),
            ATTESTATIONS: mapper.attestations()}
    logical = {}
    for name in arrow_schemas(spec.schema):
        logical[name] = base[name] if name in base else mapper.declared(name)
    return LogicalTables(logical)


class _Mapper:
    def __init__(self, tables: dict[str, ir.Table], concept: ir.Table, spec: RecordSpec) -> None:
        self.tables, self.concept, self.spec = tables, concept, spec
        self.schemas = arrow_schemas(spec.schema)

    def _empty(self, name: str) -> ir.Table:
        return empty_like(self.schemas[name], self.tables["person"])

    def patient(self, as_of: dt.date) -> ir.Table:
        p, c = self.tables["person"], self.concept
        gender = c.filter(c.vocabulary_id == "Gender").select(
            gid=c.concept_id, gcode=c.concept_code)
        p = p.left_join(gender, p.gender_concept_id == gender.gid)
        sex = ibis.cases((p.gcode == "F", "female"), (p.gcode == "M", "male"), else_=None)
        full_date = p.month_of_birth.notnull() & p.day_of_birth.notnull()
        made = ibis.date(p.year_of_birth, p.month_of_birth, p.day_of_birth)
        # A year of birth alone cannot decide an age limit: the birth date stays unknown.
        birth = p.birth_datetime.cast("date").coalesce(
            ibis.ifelse(full_date, made, ibis.null("date")))
        people = p.select(patient_id=patient_key(p.person_id), sex=sex.cast("string"),
                          birth_date=birth.cast("date"))
        day = ibis.literal(as_of)
        people = people.mutate(consent_date=day, index_date=day)
        return self._with_observation(people)

    def _with_observation(self, people: ir.Table) -> ir.Table:
        if any(name not in self.tables for name in EVENT_TABLES):
            # A table the extract lacks holds events we cannot see, so absence proves
            # nothing for anyone: the observed history shrinks to the index day, and every
            # "none in the window" stays unknown (missing data never makes anyone eligible).
            return people.mutate(obs_start=people.index_date, obs_end=people.index_date)
        op = self.tables["observation_period"]
        # Only the latest period counts: absence in a gap between periods proves nothing.
        ranked = op.mutate(rank=ibis.row_number().over(
            group_by=op.person_id,
            order_by=[op.observation_period_end_date.desc(),
                      op.observation_period_start_date.asc()]))
        latest = ranked.filter(ranked.rank == 0).select(
            pid=patient_key(ranked.person_id),
            obs_start=ranked.observation_period_start_date.cast("date"),
            obs_end=ranked.observation_period_end_date.cast("date"))
        joined = people.left_join(latest, people.patient_id == latest.pid)
        return joined.select(
            "patient_id", "sex", "birth_date", "consent_date", "index_date",
            obs_start=joined.obs_start.coalesce(joined.birth_date),
            obs_end=joined.obs_end.coalesce(joined.index_date))

    def diagnoses(self) -> ir.Table:
        if "condition_occurrence" not in self.tables:
            return self._empty("diagnoses")
        co, c = self.tables["condition_occurrence"], self.concept
        coded = c.filter(c.vocabulary_id.isin(list(DIAGNOSIS_VOCABULARIES)))
        prefix = ibis.cases(*[(coded.vocabulary_id == v, p)
                              for v, p in DIAGNOSIS_VOCABULARIES.items()])
        codes = coded.select(cid=coded.concept_id, code=prefix + coded.concept_code)
        parts = []
        # The standard concept and the source concept both count: value sets may name
        # SNOMED ids or ICD-10 prefixes, and many extracts keep ICD-10 only as source codes.
        for column in ("condition_concept_id", "condition_source_concept_id"):
            j = co.join(codes, co[column] == codes.cid)
            parts.append(j.select(patient_id=patient_key(j.person_id), code=j.code,
                                  date=j.condition_start_date.cast("date"),
                                  end_date=j.condition_end_date.cast("date")))
        return ibis.union(*parts, distinct=True)

    def labs(self) -> ir.Table:
        if "measurement" not in self.tables:
            return self._empty("labs")
        m, c = self.tables["measurement"], self.concept
        tests = c.filter(c.vocabulary_id == "LOINC").select(
            tid=c.concept_id, test="LOINC:" + c.concept_code)
        unit = c.select(uid=c.concept_id, ucode=c.concept_code)
        answer = c.select(aid=c.concept_id, avocab=c.vocabulary_id, acode=c.concept_code)
        j = m.join(tests, m.measurement_concept_id == tests.tid)
        j = j.left_join(unit, j.unit_concept_id == unit.uid)
        j = j.left_join(answer, j.value_as_concept_id == answer.aid)
        return j.select(
            patient_id=patient_key(j.person_id), date=j.measurement_date.cast("date"),
            test=j.test, value=j.value_as_number.cast("float64"),
            value_text=_answer_text(j), unit=self._record_unit(j.ucode),
            uln=j.range_high.cast("float64"), lln=j.range_low.cast("float64"))

    def medications(self) -> ir.Table:
        return medications(self.tables, self.concept, self.schemas["medications"])

    def declared(self, name: str) -> ir.Table:
        """A protocol table from its ``omop`` declaration (empty without one)."""
        table = self.spec.schema.table(name)
        if table.omop is None:
            return self._empty(name)
        mapped = declared_table(self.tables, self.concept, table)
        return mapped if mapped is not None else self._empty(name)

    def attestations(self) -> ir.Table:
        keys = tuple((oc.LOCAL_VOCABULARY, key) for key in self.spec.attestation_keys)
        rows = keyed(self.tables, self.concept, "observation", keys) if keys else None
        if rows is None:
            return self._empty(ATTESTATIONS)
        return latest_answers(rows, self.concept)

    def _record_unit(self, ucum: ir.StringValue) -> ir.StringValue:
        """UCUM codes in the spelling the patient record uses; unknown codes pass unchanged."""
        return ucum.substitute(units.aliases(self.spec.catalogue), else_=ucum)


def _answer_text(j: ir.Table) -> ir.StringValue:
    def matches(keys: tuple[tuple[str, str], ...]) -> ir.BooleanValue:
        return ibis.or_(*[(j.avocab == v) & (j.acode == code) for v, code in keys])
    return ibis.cases((matches(POSITIVE_KEYS), "positive"), (matches(NEGATIVE_KEYS), "negative"),
                      else_=ibis.null("string"))
