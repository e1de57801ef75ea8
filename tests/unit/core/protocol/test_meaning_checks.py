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


# -- who reads which form (core/protocol/reading.py) -------------------------------------------
ITDOSE_ACCESS = "    entered_by: [it_proceduralist]\n    read_by: [it_proceduralist]\n"


def test_a_form_is_read_by_roles_that_exist():
    path, message = _one(ITDOSE_ACCESS, ITDOSE_ACCESS.replace(
        "read_by: [it_proceduralist]", "read_by: [it_proceduralist, radiographer]"))
    assert path.endswith(".read_by[1]") and "unknown role 'radiographer'" in message


def test_a_role_reads_forms_that_exist():
    path, message = _one("    reads: [EDSS]\n", "    reads: [EDSS, EDSS2]\n")
    assert path.endswith(".reads[1]") and "unknown form 'EDSS2'" in message


def test_a_role_that_enters_a_form_must_read_it():
    path, message = _one("    reads: [EDSS]\n", "    reads: [MRI]\n")
    assert path == "forms[4].entered_by[2]"
    assert message == ("role 'edss_rater' enters form EDSS, so it must read it: add EDSS to "
                       "the role's `reads`")


def test_a_form_cannot_name_a_reader_whose_own_reading_list_leaves_it_out():
    path, message = _one("    kind: imaging\n    entered_by: [coordinator, investigator]\n",
                         "    kind: imaging\n    entered_by: [coordinator, investigator]\n"
                         "    read_by: [coordinator, investigator, edss_rater]\n")
    assert path == "forms[5].read_by[2]"
    assert message == "names role 'edss_rater', whose `reads` leaves out form MRI"


def test_the_dose_record_at_the_sham_visit_cannot_be_entered_by_blinded_site_staff():
    """The finding: the IT visit collected the shared dose form, which the blinded coordinator
    and investigator enter; the record of a real or sham puncture states the arm."""
    problems = _problems("      forms: [ITDOSE, VS]", "      forms: [DOSE, VS]")
    revealing = "form DOSE records administration 'it', whose procedure differs by arm"
    for path, role in (("forms[9].entered_by[0]", "coordinator"),
                       ("forms[9].entered_by[1]", "investigator")):
        assert (path, f"{revealing} (the form reveals the arm): role '{role}' enters it but "
                      "does not see the procedure type (`sees: procedure_type`)") in problems
    assert any(path == "forms[9]" and "blinded roles read it" in message
               for path, message in problems)


def test_the_record_of_a_sham_procedure_is_entered_only_by_a_role_that_sees_the_procedure():
    problems = _problems(ITDOSE_ACCESS, ITDOSE_ACCESS.replace(
        "entered_by: [it_proceduralist]", "entered_by: [it_proceduralist, coordinator]"))
    assert any(path.endswith(".entered_by[1]") and "role 'coordinator' enters it but does "
               "not see the procedure type" in message for path, message in problems)


def test_the_record_of_a_sham_procedure_is_read_by_no_blinded_role():
    path, message = _one(ITDOSE_ACCESS, ITDOSE_ACCESS.replace(
        "read_by: [it_proceduralist]", "read_by: [it_proceduralist, monitor]"))
    assert path.endswith(".read_by[1]")
    assert message.endswith("role 'monitor' sees neither the procedure type nor the allocation")


def test_the_record_of_a_sham_procedure_must_declare_its_readers():
    path, message = _one(ITDOSE_ACCESS, "    entered_by: [it_proceduralist]\n")
    assert path.startswith("forms[") and "declare `read_by`" in message
    assert "blinded roles read it: coordinator, investigator" in message
    assert "it_proceduralist" not in message.split("read it:")[1]


def test_the_performer_of_a_sham_procedure_enters_its_record():
    from trialkit.core.protocol import load_protocol
    from trialkit.core.protocol.reading import check

    protocol = load_protocol(REFERENCE_PROTOCOL)
    # model_copy does not validate: the checks are run by hand on the edited protocol.
    moved = protocol.form("ITDOSE").model_copy(update={"entered_by": ("cell_lab",)})
    edited = protocol.model_copy(update={"forms": tuple(
        moved if f.id == moved.id else f for f in protocol.forms)})
    found = [(p.dotted_path(), p.message) for p in check(edited)]
    assert ("design.administrations[1].performed_by", "role 'it_proceduralist' performs 'it' "
            "but enters none of the forms that record it (ITDOSE)") in found


def test_a_form_that_needs_a_signature_is_read_by_a_role_that_signs():
    path, message = _one(ITDOSE_ACCESS, ITDOSE_ACCESS + "    signature_required: true\n")
    assert path.endswith(".signature_required")
    assert message == "no role that reads form ITDOSE can sign (`can: sign`), so it could " \
                      "never be signed"


def test_a_role_told_of_serious_events_reads_the_adverse_event_form():
    path, message = _one("    description: Follows progress; blinded.\n",
                         "    description: Follows progress; blinded.\n    reads: [DM]\n")
    assert path.endswith(".notified_of")
    assert "role 'sponsor_viewer' is told of serious adverse events" in message
    assert message.endswith("does not read form AE")


def test_a_protocol_that_says_nothing_about_reading_lets_every_role_read_every_form():
    from trialkit.core.protocol import load_protocol
    from trialkit.core.protocol.canonical import canonical_data
    from trialkit.core.protocol.reading import readers

    protocol = load_protocol(REFERENCE_PROTOCOL)
    edss = protocol.form("EDSS")
    assert edss.read_by is None and protocol.role("coordinator").reads is None
    assert set(readers(protocol, edss)) == {"coordinator", "investigator", "edss_rater",
                                            "smc_member", "smc_chair", "monitor",
                                            "data_manager", "statistician",
                                            "unblinded_statistician", "sponsor_viewer",
                                            "administrator"}
    data = canonical_data(protocol)  # the defaults are not part of the version
    assert "read_by" not in data["forms"][4] and "reads" not in data["roles"][0]
