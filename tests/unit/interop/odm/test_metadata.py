"""The study metadata as ODM 1.3.2 (``odm-metadata``), on every protocol: valid against the
official schema, complete, deterministic, and the validator itself finds broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.interop.odm.support import concealed_in, every, odmlib_problems, tree
from trialkit.core.protocol import protocol_version
from trialkit.core.protocol.blinded_view import readable_part
from trialkit.core.protocol.reading import reveals_arm
from trialkit.interop.exports import EXPORTS
from trialkit.interop.odm import problems, write_metadata
from trialkit.interop.odm.metadata import add_study
from trialkit.interop.odm.writer import root, write

pytestmark = pytest.mark.protocols()


@pytest.fixture
def metadata(trial, tmp_path) -> Path:
    """The whole protocol's metadata (as for a reader who sees arms)."""
    return write_metadata(trial.protocol, tmp_path / "study.xml", blinded=False)


def test_the_registrys_metadata_leaves_out_what_names_an_arm_and_keeps_every_other_form(
        trial, tmp_path):
    protocol = trial.protocol
    written = EXPORTS["odm-metadata"].write(protocol, None, tmp_path / "export.xml")
    assert list(written) == [tmp_path / "export.xml"]
    assert EXPORTS["odm-metadata"].validate(tmp_path / "export.xml") == []
    root_element = tree(tmp_path / "export.xml")
    assert concealed_in(root_element, protocol) == set()
    assert {f.get("OID") for f in every(root_element, ".//odm:FormDef")} == \
        {f"F.{f.id}" for f in protocol.forms if not reveals_arm(protocol, f)}
    assert not EXPORTS["odm-metadata"].describes_arms  # any exporting role may take it


def test_the_metadata_is_valid_against_the_official_schema_and_odmlib(metadata):
    assert EXPORTS["odm-metadata"].validate(metadata) == []
    assert odmlib_problems(metadata) == []


def test_every_visit_form_item_codelist_and_unit_of_the_protocol_is_defined(trial, metadata):
    protocol, root = trial.protocol, tree(metadata)
    events = {e.get("Name"): [r.get("FormOID") for r in every(e, "odm:FormRef")]
              for e in every(root, ".//odm:StudyEventDef")}
    for visit in protocol.schedule.visits:
        assert events[visit.name] == [f"F.{f}" for f in visit.forms]
    items = {i.get("OID"): i for i in every(root, ".//odm:ItemDef")}
    assert len(items) == sum(len(f.items) for f in protocol.forms)
    for form in protocol.forms:
        for item in form.items:
            element = items[f"I.{form.id}.{item.id}"]
            assert element.findtext("odm:Question/odm:TranslatedText", namespaces={
                "odm": "http://www.cdisc.org/ns/odm/v1.3"}) == item.label
            checks = {c.get("Comparator"): float(c.findtext("{*}CheckValue") or "nan")
                      for c in every(element, "odm:RangeCheck")}
            expected = {k: v for k, v in (("GE", item.range and item.range.min),
                                          ("LE", item.range and item.range.max)) if v is not None}
            assert checks == expected
            refs = every(element, "odm:CodeListRef")
            assert [r.get("CodeListOID") for r in refs] == (
                [f"CL.{item.codelist}"] if item.codelist else [])
    codes = {c.get("OID"): [i.get("CodedValue") for i in every(c, "odm:CodeListItem")]
             for c in every(root, ".//odm:CodeList")}
    assert codes == {f"CL.{c.id}": [i.code for i in c.items] for c in protocol.codelists}
    symbols = {u.findtext("{*}Symbol/{*}TranslatedText")
               for u in every(root, ".//odm:MeasurementUnit")}
    assert symbols == {i.unit for f in protocol.forms for i in f.items if i.unit}


def test_each_cdisc_annotation_is_an_alias_of_its_item(trial, metadata):
    items = {i.get("OID"): i for i in every(tree(metadata), ".//odm:ItemDef")}
    annotated = [(f, i) for f in trial.protocol.forms for i in f.items if i.cdisc]
    assert annotated
    for form, item in annotated:
        aliases = {a.get("Context"): a.get("Name")
                   for a in every(items[f"I.{form.id}.{item.id}"], "odm:Alias")}
        name = item.cdisc.variable or item.cdisc.testcd
        assert f"{item.cdisc.domain}.{name}" in aliases.values()


def test_the_same_protocol_always_gives_the_same_bytes(trial, metadata, tmp_path):
    again = write_metadata(trial.protocol, tmp_path / "again.xml", blinded=False)
    assert again.read_bytes() == metadata.read_bytes()


def test_a_schema_violation_is_reported_with_its_line(metadata):
    lines = metadata.read_text(encoding="utf-8").splitlines()
    where = next(n for n, line in enumerate(lines) if "<FormDef " in line)
    lines[where] = lines[where].replace('Repeating="No"', 'Repeating="Sometimes"').replace(
        'Repeating="Yes"', 'Repeating="Sometimes"')
    metadata.write_text("\n".join(lines), encoding="utf-8")
    found = problems(metadata)
    assert found and found[0].startswith(f"{where + 1}: ")
    assert "Sometimes" in found[0]
    assert odmlib_problems(metadata)


def test_a_reference_to_an_undefined_oid_is_reported_though_the_schema_allows_it(metadata):
    text = metadata.read_text(encoding="utf-8")
    first_ref = text.index('<ItemRef ItemOID="') + len('<ItemRef ItemOID="')
    metadata.write_text(text[:first_ref] + "I.NOWHERE." + text[first_ref:], encoding="utf-8")
    assert odmlib_problems(metadata) == []  # the XSD cannot see it
    assert any("I.NOWHERE." in p and "not defined" in p for p in problems(metadata))


def test_a_file_that_is_not_xml_is_one_problem_with_its_line(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<ODM>\n<Study>\n</ODM>\n", encoding="utf-8")
    found = problems(broken)
    assert len(found) == 1 and found[0].startswith("3: ")


def test_the_part_of_the_metadata_a_blinded_reader_gets_names_no_arm_even_with_every_form(
        trial, tmp_path):
    """Even were every form readable, the narrowed metadata drops the codes that name an arm
    or a procedure (a 'not done: control arm' choice, real/sham) and the visits' names."""
    protocol = trial.protocol
    document = root(file_type="Snapshot", file_oid="F", created="2026-01-01T00:00:00",
                    granularity="Metadata")
    add_study(document, readable_part(protocol, {f.id for f in protocol.forms}),
              version=protocol_version(protocol), blinded=True)
    path = write(document, tmp_path / "narrowed.xml")
    assert problems(path) == []
    assert concealed_in(tree(path), protocol) == set()
    full = tree(write_metadata(protocol, tmp_path / "full.xml", blinded=False))
    assert len(every(full, ".//odm:CodeListItem")) >= len(every(tree(path), ".//odm:CodeListItem"))
