"""Every screen that has a reader answers the API with a schema derived from the reader's type
(docs/adr/0011-read-layer.md): the published component has exactly the reader's fields (minus
those ``derived`` was told to omit, with a reason), nested readers as their own derived
components, and no property beyond them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from trialkit.core.eligibility.evaluation import Evaluation, Judgement
from trialkit.web.api import api
from trialkit.web.api.derived import derived, omitted, reader_of, schema_of
from trialkit.web.pages.readers import ParticipantDetail, ParticipantSummary
from trialkit.web.trial.capture_queries import ClockView, ItemChange, QueryView, VersionView
from trialkit.web.trial.source_verification import FormVerificationView

# Each GET the pages also show, with the reader whose type its answer must be derived from.
READER_BACKED = {
    "/api/participants": ParticipantSummary,
    "/api/participants/{participant_id}": ParticipantDetail,
    "/api/participants/{participant_id}/eligibility": Evaluation,
    "/api/queries": QueryView,
    "/api/queries/{query_id}": QueryView,
    "/api/serious-events": ClockView,
    "/api/forms/{record_id}": VersionView,
    "/api/forms/{record_id}/audit-trail": ItemChange,
    "/api/exports/participants.json": ParticipantSummary,
    "/api/verification": FormVerificationView,
    "/api/forms/{record_id}/verification": FormVerificationView,
}


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """Every component a response schema refers to, directly or through other components."""
    seen: set[str] = set()
    todo = list(_refs(schema))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(document["components"]["schemas"][name]))
    return seen


@pytest.mark.parametrize("path", sorted(READER_BACKED))
def test_a_reader_backed_answer_is_the_readers_own_type(document, path):
    reader = READER_BACKED[path]
    schema = schema_of(reader)
    assert schema is not None, f"no API schema is derived from {reader.__name__}"
    answer = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema.__name__ in _reachable(document, answer["schema"]), (
        f"GET {path} does not answer with {schema.__name__}, derived from {reader.__name__}")


def test_every_derived_component_has_exactly_its_readers_fields(document):
    components = document["components"]["schemas"]
    checked = 0
    for reader in {*READER_BACKED.values()}:
        for nested in _readers_within(reader):
            schema = schema_of(nested)
            assert schema is not None and reader_of(schema) is nested
            published = components[schema.__name__]
            expected = {f.name for f in dataclasses.fields(nested)} - omitted(schema)
            assert set(published["properties"]) == expected, schema.__name__
            assert set(published["required"]) == expected
            assert published["additionalProperties"] is False
            checked += 1
    assert checked >= len({*READER_BACKED.values()})


def _readers_within(reader: type) -> Iterator[type]:
    """The reader and every dataclass its fields hold (``derived`` makes each a component)."""
    yield reader
    for annotation in typing.get_type_hints(reader).values():
        for inner in _types_in(annotation):
            yield from _readers_within(inner)


def _types_in(annotation: Any) -> Iterator[type]:
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _types_in(arg)


def test_a_field_added_to_a_reader_is_published_and_an_omitted_one_is_not():
    @dataclasses.dataclass(frozen=True)
    class Row:
        kept: str
        """Described once, in the reader."""
        added: int
        local: dt.timedelta

    schema = derived(Row, "RowOut", omit=frozenset({"local"}))
    assert set(schema.model_fields) == {"kept", "added"}
    assert schema.model_fields["kept"].description == "Described once, in the reader."
    assert schema.model_json_schema()["additionalProperties"] is False
    served = schema.model_validate(Row("a", 1, dt.timedelta(0))).model_dump()
    assert served == {"kept": "a", "added": 1}


def test_two_readers_cannot_be_published_under_one_name():
    @dataclasses.dataclass(frozen=True)
    class First:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Second:
        b: int

    derived(First, "OneNameOut")
    with pytest.raises(ValueError, match="already the schema of"):
        derived(Second, "OneNameOut")
    with pytest.raises(ValueError, match="already published as"):
        derived(First, "AnotherNameOut")


def test_a_hand_written_schema_is_not_taken_for_a_derived_one():
    from ninja import Schema

    class QueryOut(Schema):
        id: int

    assert reader_of(QueryOut) is None


def test_the_evaluation_is_served_exactly_as_it_is_stored():
    """Clients read the same JSON the database keeps (``Evaluation.to_json``)."""
    evaluation = Evaluation.make(
        protocol_version="v", index_date=dt.date(2026, 1, 5), evaluated_on=dt.date(2026, 1, 1),
        evaluated_by="screener",
        result={"criteria": [{"id": "I1", "kind": "inclusion", "status": "unknown",
                              "explanation": "no value"}], "missing": []},
        judgements={"I1": Judgement("met", "investigator", dt.date(2026, 1, 2), "seen")})
    schema = schema_of(Evaluation)
    assert schema is not None
    served = schema.model_validate(evaluation).model_dump(mode="json")
    assert served == evaluation.to_json()


def test_the_openapi_document_is_built_once_per_process_and_handed_out_as_a_copy(monkeypatch):
    from ninja import NinjaAPI

    built = []
    original = NinjaAPI.get_openapi_schema

    def counting(self, **kwargs):
        built.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(NinjaAPI, "get_openapi_schema", counting)
    monkeypatch.delitem(api.__dict__, "_built_schemas", raising=False)
    first = api.get_openapi_schema(path_prefix="/api/")
    first["paths"].clear()
    second = api.get_openapi_schema(path_prefix="/api/")
    assert len(built) == 1 and second["paths"], "built once; a caller's change stays its own"
