"""Reading a dictionary release in MedDRA's layout (the invented fixture, never MedDRA)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from trialkit.core.coding import DictionaryError, read_dictionary

MEDDRA = FIXTURES / "meddra"


@pytest.fixture
def release(tmp_path: Path) -> Path:
    folder = tmp_path / "release"
    shutil.copytree(MEDDRA, folder)
    return folder


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_synonym_llt_is_coded_to_its_pt_and_the_pts_primary_soc():
    dictionary = read_dictionary(MEDDRA)
    coding = dictionary.coding("94000001")  # "Head ache"
    assert (coding.llt.name, coding.pt.name, coding.hlt.name, coding.hlgt.name,
            coding.soc.name) == ("Head ache", "Headache", "Headaches NEC", "Headaches",
                                 "Nervous system disorders")


def test_a_pt_under_two_socs_is_placed_under_its_primary_soc_only():
    coding = read_dictionary(MEDDRA).coding("94000024")  # "Post-LP headache"
    assert coding.pt.name == "Post lumbar puncture syndrome"
    assert coding.soc.name == "Injury, poisoning and procedural complications"
    assert coding.hlt.name == "Non-site specific procedural complications"


def test_the_version_comes_from_the_release_file_unless_given():
    assert read_dictionary(MEDDRA).version == "99.0"
    assert read_dictionary(MEDDRA, version="99.1").version == "99.1"


def test_without_a_release_file_the_version_must_be_given(release):
    (release / "meddra_release.asc").unlink()
    with pytest.raises(DictionaryError, match="give the version"):
        read_dictionary(release)
    assert read_dictionary(release, version="7").version == "7"


def test_currency_is_read_from_the_llt_file():
    llts = read_dictionary(MEDDRA).llts
    assert llts["94000011"].current is False and llts["94000009"].current is True


def test_the_rows_are_immutable():
    dictionary = read_dictionary(MEDDRA)
    with pytest.raises(TypeError):
        dictionary.llts["1"] = dictionary.llts["94000001"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        dictionary.llts["94000001"].name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("llt.asc", "94000001$Head ache$93000001", "94000001$Head ache$93999999",
     r"llt.asc line 21: PT 93999999 is not defined"),
    ("llt.asc", "94000009$Fever$93000006$$$$$$$Y$$",
     "94000009$Fever$93000006$$$$$$$Y$$\n94000009$Fever$93000006$$$$$$$Y$$",
     r"llt.asc line 30: code 94000009 repeated \(first on line 29\)"),
    ("pt.asc", "93000003$Nausea$$90000002$$$$$$$$", "93000003$Nausea$$90000002$$$$$$$$$x",
     r"pt.asc line 3: a record ends with '\$'"),
    ("soc.asc", "90000001$Nervous", "9000000A$Nervous",
     r"soc.asc line 1: code '9000000A' is not a numeric code"),
    ("llt.asc", "94000030$Shivering$93000020$$$$$$$Y$$", "94000030$Shivering$93000020$$$$$$$Q$$",
     r"llt.asc line 50: llt_currency is 'Q'"),
    ("mdhier.asc", "93000001$92000001$91000001$90000001$", "93000001$92000002$91000002$90000002$",
     r"mdhier.asc line 1: the path .* is not in soc_hlgt.asc"),
    ("hlt.asc", "92000003$Gastrointestinal and abdominal pains$$$$$$$$",
     "92000003$Gastrointestinal and abdominal pains",
     r"hlt.asc line 3: a record ends with"),
])
def test_a_malformed_release_is_refused_naming_the_file_and_line(release, name, old, new,
                                                                 message):
    _edit(release, name, old, new)
    with pytest.raises(DictionaryError, match=message):
        read_dictionary(release)


def test_a_pt_without_a_primary_path_is_refused(release):
    _edit(release, "mdhier.asc", "Headache$Headaches NEC$Headaches$Nervous system disorders$"
          "Nerv$$90000001$Y$", "Headache$Headaches NEC$Headaches$Nervous system disorders$"
          "Nerv$$90000001$N$")
    with pytest.raises(DictionaryError, match="no primary path for PT 93000001"):
        read_dictionary(release)


def test_a_missing_file_is_named(release):
    (release / "hlt_pt.asc").unlink()
    with pytest.raises(DictionaryError, match=r"hlt_pt\.asc: missing"):
        read_dictionary(release)
