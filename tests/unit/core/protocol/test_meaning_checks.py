"""What format 2 states is checked at load: record mappings, form kinds, edit checks, crossovers."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.protocol import ProtocolError, parse_protocol

TEXT = REFERENCE_PROTOCOL.read_text(encoding="utf-8")


def _problems(old: str, new: str) -> list[tuple[str, str]]:
    assert TEXT.count(old) == 1, f"fixture text not found once: {old!r}"
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(TEXT.replace(old, new), source="amended.yaml")
    return [(p.dotted_path(), p.message) for p in caught.value.problems]


def _one(old: str, new: str) -> tuple[str, str]:
    problems = _problems(old, new)
    assert len(problems) == 1, problems
    return problems[0]


def test_an_item_cannot_feed_a_table_the_record_does_not_have():
    path, message = _one("maps_to: mri_scans.date,", "maps_to: mri_scan.date,")
    assert path == "forms[5].items[0].maps_to"
    assert "unknown record table 'mri_scan'" in message and "mri_scans" in message


def test_an_item_cannot_feed_a_column_its_table_does_not_have():
    path, message = _one("maps_to: edss.score,", "maps_to: edss.value,")
    assert path == "forms[4].items[9].maps_to"
    assert "unknown column of edss 'value'" in message


def test_an_item_feeds_only_a_column_of_its_kind():
    _, message = _one("maps_to: edss.date, cdisc: {domain: RS, variable: RSDTC}",
                      "maps_to: edss.score, cdisc: {domain: RS, variable: RSDTC}")
    assert message == "a date item cannot feed a number column"


def test_an_attestation_is_fed_by_a_yes_no_item_only():
    _, message = _one("maps_to: diagnoses.date, cdisc: {domain: MH, variable: MHSTDTC}",
                      "maps_to: attestations.diagnosis_date")
    assert "an attestation is true or false" in message


def test_every_choice_that_feeds_a_code_column_needs_a_code():
    path, message = _one('{code: SPMS, decode: Secondary progressive MS, concept: '
                         '"SNOMED:425500002"}', "{code: SPMS, decode: Secondary progressive MS}")
    assert path == "forms[2].items[0].maps_to"
    assert "SPMS of MS_COURSE have no record code" in message


def test_an_adverse_event_form_must_say_which_item_holds_seriousness():
    path, message = _one("required: true,\n         cdisc: {domain: AE, variable: AESER}}",
                         "required: true}")
    assert path == "forms[10].kind"
    assert "AESER" in message


def test_a_form_is_entered_by_roles_that_exist():
    path, message = _one("    kind: imaging\n    entered_by: [coordinator, investigator]",
                         "    kind: imaging\n    entered_by: [coordinator, radiographer]")
    assert path == "forms[5].entered_by[1]" and "unknown role 'radiographer'" in message


def test_an_edit_check_naming_an_unknown_item_is_refused_where_it_is_written():
    path, message = _one("expression: end_date >= onset_date",
                         "expression: end_date >= start_date")
    assert path == "forms[10].checks[0].expression"
    assert "'start_date' is not an item of this form" in message


def test_an_edit_check_that_is_not_a_condition_is_refused():
    _, message = _one("expression: end_date >= onset_date", "expression: end_date")
    assert "a check must be true or false" in message


def test_an_edit_check_comparing_a_date_with_a_number_is_refused():
    _, message = _one("expression: end_date >= onset_date", "expression: end_date >= 3")
    assert "cannot compare date with number" in message


def test_a_protocol_cannot_redeclare_a_base_table():
    problems = _problems("    - id: relapses\n", "    - id: diagnoses\n")
    assert problems[0] == ("record.tables[0].id", "'diagnoses' is a table of the base patient "
                                                  "record; declare only tables of your own")


def test_a_value_set_of_an_unknown_code_kind_is_refused():
    problems = _problems("    kind: ingredient\n    description: cytotoxic medication (E9)",
                         "    kind: drug\n    description: cytotoxic medication (E9)")
    assert ("value_sets[6].kind", "unknown code kind 'drug' (expected one of: diagnosis, "
                                  "ingredient, lab)") in problems


def test_a_value_set_code_must_have_its_kind_s_form():
    _, message = _one('codes: ["LOINC:5902-2"]', 'codes: ["LOINC:5902"]')
    assert "'LOINC:5902' is not a lab code" in message


def test_a_derivation_must_be_given_the_function_s_parameters():
    _, message = _one("cerebral: fs_cerebral, ambulation: ambulation}",
                      "cerebral: fs_cerebral}")
    assert "neurostatus_edss takes" in message and "ambulation" in message


def _crossover(edit) -> str:
    """The reference protocol turned into a two-period crossover, then edited."""
    data = yaml.safe_load(TEXT)
    part = data["design"]["parts"][1]
    part["periods"] = [{"id": "P1", "name": "Period 1"}, {"id": "P2", "name": "Period 2"}]
    part["sequences"] = [{"id": "AB", "label": "UMSC01 then placebo", "arms": ["umsc01",
                                                                                "placebo"]},
                         {"id": "BA", "label": "Placebo then UMSC01", "arms": ["placebo",
                                                                                "umsc01"]}]
    data["randomization"]["ratio"] = {"AB": 1, "BA": 1}
    visits = {v["id"]: v for v in data["schedule"]["visits"]}
    visits["D0"]["period"], visits["M6"]["period"] = "P1", "P2"
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True)


def test_a_crossover_part_randomizes_to_sequences():
    protocol = parse_protocol(_crossover(lambda data: None))
    part = protocol.part("phase2a")
    assert part.is_crossover
    assert part.arm_in_period("BA", "P2") == "umsc01"


def test_a_crossover_ratio_must_name_its_sequences_not_its_arms():
    def arms_ratio(data):
        data["randomization"]["ratio"] = {"umsc01": 1, "placebo": 1}

    with pytest.raises(ProtocolError, match="has sequences"):
        parse_protocol(_crossover(arms_ratio))


def test_a_sequence_gives_one_arm_per_period():
    def short(data):
        data["design"]["parts"][1]["sequences"][0]["arms"] = ["umsc01", "placebo", "umsc01"]

    with pytest.raises(ProtocolError, match="gives 3 arms for 2 periods"):
        parse_protocol(_crossover(short))


def test_a_period_without_a_visit_to_start_it_is_refused():
    def orphan(data):
        for visit in data["schedule"]["visits"]:
            visit.pop("period", None)
        data["schedule"]["visits"][1]["period"] = "P1"

    with pytest.raises(ProtocolError, match="period 'P2' of part 'phase2a' has no visit"):
        parse_protocol(_crossover(orphan))


def test_an_edit_check_comparing_a_choice_with_a_code_it_lacks_is_refused():
    _, message = _one('when: outcome == "fatal"', 'when: outcome == "died"')
    assert message.startswith("check fatal_outcome_means_death")
    assert '"died" is not a code of outcome' in message


def test_a_role_entering_a_form_must_be_permitted_to_enter_data():
    path, message = _one("    kind: imaging\n    entered_by: [coordinator, investigator]",
                         "    kind: imaging\n    entered_by: [coordinator, monitor]")
    assert path == "forms[5].entered_by[1]"
    assert message == "role 'monitor' needs `can: enter_data` to enter form MRI"


def test_the_role_preparing_an_administration_must_see_what_it_prepares():
    problems = _problems("      prepared_by: cell_lab\n      performed_by: investigator",
                         "      prepared_by: coordinator\n      performed_by: investigator")
    assert ("design.administrations[0].prepared_by",
            "role 'coordinator' needs `can: prepare_kit` and `sees: preparation` to "
            "prepare iv") \
        in problems


def test_a_sham_procedure_is_performed_only_by_a_role_that_may_know_it_is_a_sham():
    problems = _problems("      performed_by: it_proceduralist",
                         "      performed_by: investigator")
    assert any(path == "design.administrations[1].performed_by" and "`can: perform_procedure` "
               "and `sees: procedure_type`" in message for path, message in problems)


def test_the_committee_signer_must_be_permitted_to_decide():
    _, message = _one("      signer_role: smc_chair", "      signer_role: smc_member")
    assert message == ("role 'smc_member' needs `can: decide_safety` to sign the Safety "
                       "Monitoring Committee (SMC)'s decisions")
