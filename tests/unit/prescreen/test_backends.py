"""Reading a PostgreSQL source URL: every part, defaults, and errors that never show a password."""

from __future__ import annotations

import pytest

from trialkit.prescreen.backends import PostgresUrlError, parse_postgres_url


def test_every_part_of_the_url_is_read_and_unquoted() -> None:
    address = parse_postgres_url("postgresql://ana:p%40ss@db.example:6543/omop?schema=cdm_54")
    assert (address.host, address.port, address.user, address.password, address.database,
            address.schema) == ("db.example", 6543, "ana", "p@ss", "omop", "cdm_54")


def test_port_schema_and_credentials_have_defaults() -> None:
    address = parse_postgres_url("postgres://localhost/omop")
    assert (address.port, address.schema, address.user, address.password) == (
        5432, "public", None, None)


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://h/db", "postgresql:// URL"),
    ("postgresql://h", "names no database"),
    ("postgresql://h/db/extra", "names no database"),
    ("postgresql://h/", "names no database"),
    ("postgresql://u:secret@h:port/db", "port is not a number"),
    ("postgresql://u:secret@h/db?search_path=x", "search_path"),
])
def test_a_malformed_url_names_the_part_and_hides_the_password(url: str, message: str) -> None:
    with pytest.raises(PostgresUrlError, match=message) as caught:
        parse_postgres_url(url)
    assert "secret" not in str(caught.value)


def test_a_trailing_slash_and_an_upper_case_scheme_are_accepted() -> None:
    from trialkit.prescreen.sources import is_database_url

    assert parse_postgres_url("PostgreSQL://h/omop/").database == "omop"
    assert is_database_url("PostgreSQL://h/omop") and not is_database_url("omop/folder")
