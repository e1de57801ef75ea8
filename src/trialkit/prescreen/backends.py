"""Ibis connections: DuckDB in-process (the default), PySpark in local mode, and PostgreSQL
(the query runs inside the database that holds the OMOP tables)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import ibis
from ibis.backends import BaseBackend

BACKENDS = ("duckdb", "spark", "postgres")
POSTGRES_SCHEMES = ("postgresql", "postgres")
# Where `evaluate_records(..., backend="postgres")` runs when given no URL (the test suites).
POSTGRES_URL = os.environ.get("TRIALKIT_PRESCREEN_POSTGRES",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


class BackendUnavailableError(RuntimeError):
    """The requested engine cannot run here (e.g. no Java runtime for Spark)."""


# DuckDB's own default is 80 % of RAM; pre-screening works a partition at a time, so a fixed cap
# keeps memory flat as cohorts grow (DuckDB spills to disk beyond it rather than failing).
DUCKDB_MEMORY_LIMIT = os.environ.get("TRIALKIT_DUCKDB_MEMORY_LIMIT", "1GB")


def connect(backend: str = "duckdb", *, threads: int | None = None,
            url: str | None = None) -> BaseBackend:
    """A connection for ``backend``; ``url`` is the PostgreSQL database (default
    ``TRIALKIT_PRESCREEN_POSTGRES``)."""
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET enable_progress_bar = false")
        con.raw_sql(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        if threads is not None:
            con.raw_sql(f"SET threads TO {int(threads)}")
        return con
    if backend == "spark":
        return ibis.pyspark.connect(spark_session())
    if backend == "postgres":
        return connect_postgres(url or POSTGRES_URL)
    raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, not {backend!r}")


class PostgresUrlError(ValueError):
    """A postgresql:// URL that cannot be read (the message names the wrong part)."""


@dataclass(frozen=True)
class PostgresAddress:
    host: str | None
    port: int
    user: str | None
    password: str | None
    database: str
    schema: str
    """The schema holding the OMOP tables (``?schema=``, default ``public``)."""


def parse_postgres_url(url: str) -> PostgresAddress:
    """``postgresql://user[:password]@host[:port]/database[?schema=cdm]``; a malformed URL
    raises ValueError naming the part that is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise PostgresUrlError(f"{_redacted(url)}: expected a postgresql:// URL")
    database = unquote(parts.path.strip("/"))
    if not database or "/" in database:
        raise PostgresUrlError(f"{_redacted(url)}: the URL names no database (postgresql://host/DB)")
    try:
        port = parts.port or 5432
    except ValueError:
        raise PostgresUrlError(f"{_redacted(url)}: the port is not a number") from None
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"schema"})
    if unknown:
        raise PostgresUrlError(f"{_redacted(url)}: unknown URL parameter {', '.join(unknown)} "
                         "(only schema=; libpq's environment variables such as PGSSLMODE "
                         "still apply)")
    schema = query.get("schema", ["public"])[-1]
    return PostgresAddress(parts.hostname, port, unquote(parts.username or "") or None,
                           unquote(parts.password) if parts.password else None, database,
                           schema)


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def connect_postgres(url: str) -> BaseBackend:
    address = parse_postgres_url(url)
    try:
        return ibis.postgres.connect(host=address.host, port=address.port, user=address.user,
                                     password=address.password, database=address.database,
                                     connect_timeout=5)
    except Exception as exc:  # psycopg's errors differ by cause; all mean "cannot reach"
        raise BackendUnavailableError(
            f"{_redacted(url)}: cannot connect to PostgreSQL: {str(exc).strip()}") from None


def postgres_unavailable_reason(url: str | None = None) -> str | None:
    """Why the PostgreSQL engine cannot run against ``url`` here, or None if it can."""
    try:
        connect_postgres(url or POSTGRES_URL).disconnect()
    except (BackendUnavailableError, PostgresUrlError) as exc:
        return str(exc)
    return None


def spark_unavailable_reason() -> str | None:
    """Why Spark cannot run here, or None if it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'trialkit[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java not on PATH and JAVA_HOME unset)"
    return None


@cache
def spark_session() -> Any:
    """One local-mode session per process; Spark start-up costs seconds."""
    reason = spark_unavailable_reason()
    if reason is not None:
        raise BackendUnavailableError(reason)
    from pyspark.sql import SparkSession

    # Python workers run this interpreter (where trialkit is installed), not whatever
    # `python3` is first on the PATH: whichever command starts the session first, a later one
    # mapping trialkit code (the in-silico trial) must find it there. PySpark reads the
    # variable when the context starts; a value set by the user (a cluster) is kept.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("trialkit-prescreen")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.ansi.enabled", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session
