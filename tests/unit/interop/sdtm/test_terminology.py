"""The vendored controlled terminology: its version, its codes as the CDISC sample publishes
them (an independent copy), and the route terms the protocols' administrations use."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.conftest import FIXTURES
from trialkit.interop.sdtm.ct import terminology

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
C_CODE = re.compile(r"C\d+")


def _sample_codes() -> dict[str, dict[str, str]]:
    """Codelist code → {value: term code}, read from the CDISC sample's define.xml."""
    found: dict[str, dict[str, str]] = {}
    for codelist in ET.parse(FIXTURES / "sdtm-msg" / "define.xml").getroot().iter(
            f"{{{NS['odm']}}}CodeList"):
        alias = codelist.find("odm:Alias", NS)
        if alias is None:
            continue
        terms = found.setdefault(alias.get("Name", ""), {})
        for item in codelist:
            code = item.find("odm:Alias", NS)
            if code is not None:
                terms[item.get("CodedValue", "")] = code.get("Name", "")
    return found


def test_the_terminology_names_its_package_version():
    assert terminology().package == "SDTM CT 2020-12-18" and terminology().version == "2020-12-18"


def test_every_code_is_an_nci_code_and_agrees_with_the_cdisc_sample():
    sample = _sample_codes()
    for code, codelist in terminology().codelists.items():
        assert C_CODE.fullmatch(code)
        for value, term in codelist.terms.items():
            assert term is None or C_CODE.fullmatch(term), (code, value)
            if value in sample.get(code, {}):
                assert sample[code][value] == term, (code, value)


def test_the_codelists_the_export_relies_on_are_vendored():
    ct = terminology()
    expected = {"C66731": "SEX", "C66742": "NY", "C66729": "ROUTE", "C99079": "EPOCH",
                "C66781": "AGEU", "C66734": "DOMAIN", "C66738": "TSPARMCD", "C66737": "TPHASE",
                "C66735": "TBLIND", "C66785": "TCNTRL", "C99076": "INTMODEL",
                "C99078": "INTTYPE", "C66727": "NCOMPLT", "C114118": "PROTMLST",
                "C66769": "AESEV", "C66768": "OUT", "C66767": "ACN", "C71620": "UNIT",
                "C66741": "VSTESTCD", "C65047": "LBTESTCD", "C74558": "DSCAT",
                "C66797": "IECAT", "C66739": "TTYPE"}
    assert {code: ct.codelists[code].short for code in expected} == expected
    assert ct.codelists["C66731"].terms == {"F": "C16576", "M": "C20197", "U": None}
    assert ct.codelists["C66731"].extensible is False


def test_the_routes_of_the_protocols_administrations_have_their_codes():
    route = terminology().codelists["C66729"]
    assert route.extensible is True
    assert route.terms["INTRAVENOUS"] == "C38276" and route.terms["INTRATHECAL"] == "C38267"
