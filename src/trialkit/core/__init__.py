"""Pure domain logic: no web framework, no query engine, no database."""
