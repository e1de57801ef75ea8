"""Every sentence the in-memory engine explains with is a catalogued template, so a page can
read it in any language the catalogue has (ADR 0023).

The engine screens a synthetic cohort of each protocol; every template in the worded
explanations and gaps of every outcome must be a message of the catalogue. A sentence built as
an f-string, or a template not marked with ``gettext_noop``, is not, and fails here. The protocol's
own words (its record tables' nouns) are its translations' to give, not the catalogue's."""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Iterator

import numpy as np
import pytest

from tests.conftest import ROOT
from trialkit.core.eligibility.compile import compile_criteria, screen
from trialkit.core.protocol.record import BASE_NOUNS, base_schema
from trialkit.core.wording import Wording
from trialkit.prescreen.logical import RecordSpec
from trialkit.prescreen.omop import omop_to_logical, read_omop
from trialkit.prescreen.records import fetch, to_records
from trialkit.prescreen.synth import write_cohort

pytestmark = pytest.mark.protocols()

COMPILED = ROOT / "src" / "trialkit" / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.mo"
PLAIN = "%(text)s"  # a value shown as it is (trialkit.core.wording.plain)


def _catalogue() -> set[str]:
    with COMPILED.open("rb") as handle:
        messages = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return {key[0] if isinstance(key, tuple) else key for key in messages}


def _templates(wording: Wording) -> Iterator[str]:
    yield wording.template  # a plural pair is catalogued by its singular
    for _key, value in wording.values:
        if isinstance(value, Wording):
            yield from _templates(value)


def test_every_template_of_every_explanation_is_in_the_catalogue(trial, tmp_path):
    protocol = trial.protocol
    compiled = compile_criteria(protocol)
    write_cohort(tmp_path, patients=300, rng=np.random.default_rng(3), chunk_size=300,
                 protocol=protocol)
    con, tables = read_omop(tmp_path)
    records = to_records(fetch(omop_to_logical(tables, as_of=dt.date(2026, 11, 20),
                                               spec=RecordSpec.of(compiled)), con))
    own_nouns = {table.noun for table in protocol.record.tables}
    used: set[str] = set()
    for record in records:
        for criterion in screen(compiled, record, as_of=dt.date(2026, 11, 20)).criteria:
            for wording in (criterion.outcome.said, *criterion.outcome.gaps):
                used.update(_templates(wording))
    used -= {PLAIN, *own_nouns}
    assert len(used) > 20, "the cohort exercises the engine's sentences"
    assert sorted(used - _catalogue()) == []


def test_the_base_tables_nouns_are_the_ones_marked_for_the_catalogue():
    assert sorted(BASE_NOUNS) == sorted(table.noun for table in base_schema().tables)
