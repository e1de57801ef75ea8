"""Response schemas derived from the read layer's typed results (docs/adr/0011-read-layer.md).

A screen that has a reader (``pages/readers.py``, ``trial/capture_queries.py``, the core's
``Evaluation``) answers the API with the reader's own dataclass; its schema is built here from
the dataclass's fields, so a field added to the reader is published and served, and a field
removed from it disappears from both (code still reading it fails the type check). Nothing is
declared twice.

A derived schema forbids extra properties (``additionalProperties: false`` in the published
document, like the request bodies) and keeps the reader's field docstrings as descriptions.
Fields a page needs but the API must not serve are named in ``omit`` with the reason beside the
call; ``tests/unit/web/test_derived_schemas.py`` holds every reader-backed endpoint to its
reader's fields minus those.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import itertools
import operator
import textwrap
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Union

from ninja import Schema
from pydantic import ConfigDict, Field, create_model

READER = "__reader__"
"""The attribute of a derived schema naming the dataclass it was derived from."""

OMITTED = "__omitted__"
"""The attribute of a derived schema naming the reader fields it leaves out."""

_derived: dict[type, type[Schema]] = {}
_names: dict[str, type] = {}


class DerivedOut(Schema):
    """Base of every derived schema: read from the reader's object, nothing undeclared."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


def derived(reader: type, name: str, *, omit: frozenset[str] = frozenset(),
            names: Mapping[type, str] | None = None) -> type[Schema]:
    """The response schema of ``reader`` (a dataclass), published as ``name``.

    Nested dataclasses become derived schemas too, named by ``names`` (default: the class name
    with ``View`` replaced by ``Out``). A dataclass is derived once: every endpoint serving it
    shares one component of the published document.
    """
    if reader in _derived:
        made = _derived[reader]
        if made.__name__ != name:
            raise ValueError(f"{reader.__qualname__} is already published as {made.__name__}")
        return made
    if not dataclasses.is_dataclass(reader):
        raise TypeError(f"{reader!r} is not a dataclass")
    if name in _names:
        # Two readers may share a class name (``study.VersionView``, ``capture_queries.
        # VersionView``); two components may not, or one would silently replace the other.
        raise ValueError(f"{name} is already the schema of {_names[name].__qualname__}")
    hints = typing.get_type_hints(reader)
    docs = _field_docstrings(reader)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(reader):
        if field.name in omit:
            continue
        annotation = _translated(hints[field.name], names or {})
        fields[field.name] = (annotation, Field(description=docs.get(field.name)))
    model = create_model(name, __base__=DerivedOut, __doc__=_class_doc(reader), **fields)
    setattr(model, READER, reader)
    setattr(model, OMITTED, omit)
    _derived[reader] = model
    _names[name] = reader
    return model


def reader_of(schema: type) -> type | None:
    """The dataclass a schema was derived from (None: a schema declared by hand)."""
    found = getattr(schema, READER, None)
    return found if isinstance(found, type) else None


def schema_of(reader: type) -> type[Schema] | None:
    """The schema derived from ``reader`` (None: the API serves no schema derived from it)."""
    return _derived.get(reader)


def omitted(schema: type) -> frozenset[str]:
    """The reader's fields a derived schema leaves out."""
    found: object = getattr(schema, OMITTED, frozenset())
    return found if isinstance(found, frozenset) else frozenset()


def _translated(annotation: Any, names: Mapping[type, str]) -> Any:
    """The annotation with every nested dataclass replaced by its derived schema; sequences
    are published as arrays, mappings as objects."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        # A nested reader already published (under whatever name) is reused as it is.
        return _derived.get(annotation) or derived(
            annotation, names.get(annotation, _default_name(annotation)), names=names)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, (_translated(a, names) for a in args))
    if origin in (list, tuple, Sequence) and args:
        return list_of(_translated(args[0], names))
    if origin in (dict, Mapping) and len(args) == 2:
        return dict_of(args[0], _translated(args[1], names))
    return annotation


# A schema made at run time is a variable to mypy, which it refuses inside ``list[...]``;
# these spell the same generic aliases as calls.
def list_of(item: Any) -> Any:
    return list.__class_getitem__(item)


def dict_of(key: Any, value: Any) -> Any:
    return dict.__class_getitem__((key, value))


def optional(item: Any) -> Any:
    return item | None


def _default_name(reader: type) -> str:
    return reader.__name__.removesuffix("View") + "Out"


def _class_doc(reader: type) -> str | None:
    doc = reader.__doc__ or ""
    # A dataclass without a docstring gets its generated signature as ``__doc__``.
    return None if doc.startswith(f"{reader.__name__}(") else inspect.cleandoc(doc) or None


def _field_docstrings(reader: type) -> dict[str, str]:
    """The string literal after each annotated field (this code base documents fields so)."""
    try:
        source = textwrap.dedent(inspect.getsource(reader))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body[0]
    found: dict[str, str] = {}
    statements = body.body if isinstance(body, ast.ClassDef) else []
    for before, after in itertools.pairwise(statements):
        if (isinstance(before, ast.AnnAssign) and isinstance(before.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            found[before.target.id] = inspect.cleandoc(after.value.value)
    return found
