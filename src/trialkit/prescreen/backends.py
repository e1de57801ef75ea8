"""Ibis connections: DuckDB in-process (the default) and PySpark in local mode."""

from __future__ import annotations

import os
import shutil
from functools import cache
from typing import Any

import ibis
from ibis.backends import BaseBackend

BACKENDS = ("duckdb", "spark")


class BackendUnavailableError(RuntimeError):
    """The requested engine cannot run here (e.g. no Java runtime for Spark)."""


# DuckDB's own default is 80 % of RAM; pre-screening works a partition at a time, so a fixed cap
# keeps memory flat as cohorts grow (DuckDB spills to disk beyond it rather than failing).
DUCKDB_MEMORY_LIMIT = os.environ.get("TRIALKIT_DUCKDB_MEMORY_LIMIT", "1GB")


def connect(backend: str = "duckdb", *, threads: int | None = None) -> BaseBackend:
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET enable_progress_bar = false")
        con.raw_sql(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        if threads is not None:
            con.raw_sql(f"SET threads TO {int(threads)}")
        return con
    if backend == "spark":
        return ibis.pyspark.connect(spark_session())
    raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, not {backend!r}")


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

    session = (SparkSession.builder.master("local[2]").appName("trialkit-prescreen")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.ansi.enabled", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session
