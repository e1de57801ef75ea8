"""`trialkit prescreen postgresql://…`: OMOP tables screened inside PostgreSQL.

The synthetic cohort is loaded into a fresh schema of the server the suite uses
(TRIALKIT_PRESCREEN_POSTGRES, default the local server); without one these tests are skipped
with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.cli.main import main
from trialkit.prescreen.backends import (
    POSTGRES_URL,
    connect_postgres,
    postgres_unavailable_reason,
)

AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "cohort"
    assert main(["synth", "cohort", "--patients", "600", "--seed", "11", "--out", str(out),
                 "--chunk", "300", "--quiet",
                 "--protocol", str(REFERENCE_PROTOCOL)]) == 0
    return out


@pytest.fixture(scope="module")
def omop_schema(cohort: Path) -> Iterator[str]:
    """A schema holding the cohort's OMOP tables; its URL is yielded, the schema dropped."""
    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL engine unavailable: {reason}")
    con = connect_postgres(POSTGRES_URL)
    # One schema per pytest-xdist worker: the module's tests may run on both at once.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"tk_omop_{worker}_{cohort.parent.name.lower().replace('-', '_')}"[:60]
    con.raw_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE").close()
    con.raw_sql(f"CREATE SCHEMA {schema}").close()
    try:
        for path in sorted(cohort.glob("*")):
            table = pq.read_table(path)
            con.create_table(path.name.removesuffix(".parquet"), table, database=schema)
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        con.raw_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE").close()
        con.disconnect()


def _relations(url: str) -> set[str]:
    schema = url.rsplit("schema=", 1)[1]
    con = connect_postgres(POSTGRES_URL)
    try:
        with con.raw_sql("SELECT table_name FROM information_schema.tables "
                         "WHERE table_schema = %s", params=(schema,)) as cursor:
            return {str(row[0]) for row in cursor.fetchall()}
    finally:
        con.disconnect()


def _screen(source: str, out: Path, *extra: str) -> list[dict[str, object]]:
    assert main(["prescreen", source, "--as-of", AS_OF, "--out", str(out), "--quiet",
                 "--protocol", str(REFERENCE_PROTOCOL), *extra]) == 0
    return pq.read_table(out).to_pylist()


def test_postgres_gives_the_duckdb_answer_for_every_patient(
        omop_schema: str, cohort: Path, tmp_path: Path) -> None:
    before = _relations(omop_schema)
    in_postgres = _screen(omop_schema, tmp_path / "pg.parquet")
    in_duckdb = _screen(str(cohort), tmp_path / "duck.parquet")
    assert len(in_postgres) == 600
    assert in_postgres == in_duckdb
    assert _relations(omop_schema) == before  # the pre-screen wrote nothing there


def test_ranges_of_patients_give_the_same_answer_without_views(
        omop_schema: str, tmp_path: Path) -> None:
    before = _relations(omop_schema)
    whole = _screen(omop_schema, tmp_path / "whole.parquet")
    ranged = _screen(omop_schema, tmp_path / "ranged.parquet", "--partition-size", "170")
    assert ranged == whole
    assert _relations(omop_schema) == before


def test_the_memory_engine_reads_postgres_too(omop_schema: str, tmp_path: Path) -> None:
    batch = _screen(omop_schema, tmp_path / "batch.parquet")
    memory = _screen(omop_schema, tmp_path / "memory.parquet", "--engine", "memory")
    assert memory == batch


@pytest.mark.parametrize(("source", "engine", "message"), [
    ("postgresql://postgres@127.0.0.1:5432/", None, "names no database"),
    ("postgresql://postgres@127.0.0.1:notaport/db", None, "port is not a number"),
    ("postgresql://postgres@127.0.0.1:5432/db?schema=cdm&sslmode=x", None, "sslmode"),
    ("postgresql://postgres@127.0.0.1:5432/postgres", "duckdb", "--engine postgres"),
    ("postgresql://postgres@127.0.0.1:5432/postgres", "spark", "not a database"),
])
def test_bad_postgres_sources_are_usage_errors(
        source: str, engine: str | None, message: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    extra = ["--engine", engine] if engine else []
    code = main(["prescreen", source, "--as-of", AS_OF, "--quiet", "--out",
                 str(tmp_path / "out.parquet"), "--protocol", str(REFERENCE_PROTOCOL), *extra])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out.parquet").exists()


def test_a_schema_without_omop_tables_is_named(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL engine unavailable: {reason}")
    code = main(["prescreen", f"{POSTGRES_URL}?schema=no_such_schema_here", "--as-of", AS_OF,
                 "--quiet", "--protocol", str(REFERENCE_PROTOCOL)])
    assert code == 2 and "no_such_schema_here" in capsys.readouterr().err


def test_the_postgres_engine_needs_a_postgres_source(
        cohort: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["prescreen", str(cohort), "--as-of", AS_OF, "--engine", "postgres",
                 "--quiet", "--protocol", str(REFERENCE_PROTOCOL)])
    assert code == 2 and "postgresql://" in capsys.readouterr().err


@contextmanager
def _account(name: str, *grants: str) -> Iterator[str]:
    """A login role holding only ``grants`` (SQL with ``{role}``); yields its URL without
    a schema, and drops the role and everything granted to it afterwards."""
    admin = connect_postgres(POSTGRES_URL)
    role = name[:60]
    try:
        for statement in (f"DROP ROLE IF EXISTS {role}", f"CREATE ROLE {role} LOGIN",
                          *(grant.format(role=role) for grant in grants)):
            admin.raw_sql(statement).close()
        yield f"postgresql://{role}@{POSTGRES_URL.split('@', 1)[1]}"
    finally:
        admin.raw_sql(f"DROP OWNED BY {role}").close()
        admin.raw_sql(f"DROP ROLE IF EXISTS {role}").close()
        admin.disconnect()


def test_a_read_only_account_is_enough_even_for_a_schema_missing_tables(
        omop_schema: str, cohort: Path, tmp_path: Path) -> None:
    """SELECT on the OMOP schema, every transaction read-only (so not even a temporary
    table), and a second schema that lacks the optional tables the mapping fills with
    empty ones: the answers equal DuckDB's on the same tables."""
    schema = omop_schema.rsplit("schema=", 1)[1]
    lean = f"{schema}_lean"[:60]
    kept = ("person", "concept", "observation_period", "condition_occurrence", "measurement")
    admin = connect_postgres(POSTGRES_URL)
    for statement in (f"DROP SCHEMA IF EXISTS {lean} CASCADE", f"CREATE SCHEMA {lean}",
                      *(f"CREATE TABLE {lean}.{t} AS SELECT * FROM {schema}.{t}" for t in kept)):
        admin.raw_sql(statement).close()
    reads = [f"{verb} {target} TO {{role}}" for target in (schema, lean)
             for verb in ("GRANT USAGE ON SCHEMA", "GRANT SELECT ON ALL TABLES IN SCHEMA")]
    try:
        with _account(f"{schema}_reader", "ALTER ROLE {role} SET "
                      "default_transaction_read_only = on", *reads) as reader:
            as_reader = _screen(f"{reader}?schema={schema}", tmp_path / "reader.parquet")
            assert as_reader == _screen(omop_schema, tmp_path / "owner.parquet")
            lean_folder = tmp_path / "lean"
            lean_folder.mkdir()
            for name in kept:
                (lean_folder / f"{name}.parquet").symlink_to(cohort / f"{name}.parquet")
            lean_rows = _screen(f"{reader}?schema={lean}", tmp_path / "lean.parquet")
            assert lean_rows == _screen(str(lean_folder), tmp_path / "lean-duck.parquet")
            assert len(lean_rows) == 600
    finally:
        admin.raw_sql(f"DROP SCHEMA IF EXISTS {lean} CASCADE").close()
        admin.disconnect()


def test_a_table_the_account_may_not_read_is_a_clear_error(
        omop_schema: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = omop_schema.rsplit("schema=", 1)[1]
    with _account(f"{schema}_partial", f"GRANT USAGE ON SCHEMA {schema} TO {{role}}",
                  f"GRANT SELECT ON {schema}.person, {schema}.concept TO {{role}}") as partial:
        code = main(["prescreen", f"{partial}?schema={schema}", "--as-of", AS_OF, "--quiet",
                     "--out", str(tmp_path / "out.parquet"),
                     "--protocol", str(REFERENCE_PROTOCOL)])
    assert code == 2 and "permission denied" in capsys.readouterr().err
    assert not (tmp_path / "out.parquet").exists()
