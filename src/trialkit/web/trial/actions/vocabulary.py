"""The audit trail's vocabulary: every event an action may write, one name each.

An event's ``action`` column holds one of these values. They are stored, exported and read by
people, so a value is never renamed once released (add a new member instead); the enum makes a
misspelt event a failure at import time rather than a silently new word in the trail.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # Protocol and accounts
    LOAD_PROTOCOL = "load_protocol"
    CREATE_USER = "create_user"
    ADD_PERSON = "add_person"
    """An account and its first role in one step (its ``create_user`` and ``grant_role``
    events follow); the person sets their own password at first sign-in."""
    GRANT_ROLE = "grant_role"
    REVOKE_ROLE = "revoke_role"
    ISSUE_API_TOKEN = "issue_api_token"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_REFUSED = "sign_in_refused"
    REQUEST_ROLE = "request_role"
    """A grant that needs a second administrator (an unblinded or administering role)."""
    APPROVE_ROLE_REQUEST = "approve_role_request"
    REFUSE_ROLE_REQUEST = "refuse_role_request"
    REVOKE_API_TOKEN = "revoke_api_token"
    DEACTIVATE_USER = "deactivate_user"
    UNLOCK_ACCOUNT = "unlock_account"
    RESET_PASSWORD = "reset_password"
    CHANGE_PASSWORD = "change_password"
    PASSWORD_ACCEPTED = "password_accepted"
    """The password was right; the second factor is asked next (``sign_in`` follows it)."""
    START_TWO_FACTOR = "start_two_factor"
    CONFIRM_TWO_FACTOR = "confirm_two_factor"
    VERIFY_SECOND_FACTOR = "verify_second_factor"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    USE_RECOVERY_CODE = "use_recovery_code"
    RENEW_RECOVERY_CODES = "renew_recovery_codes"
    RESET_TWO_FACTOR = "reset_two_factor"
    SWITCH_ROLE = "switch_role"
    """A signed-in person acts in another of their roles from now on (or picks the first)."""
    SWITCH_ROLE_REFUSED = "switch_role_refused"
    """A role the person does not (or no longer) hold was asked for."""
    SIGN_OUT = "sign_out"
    # Screening and participation
    REGISTER_CANDIDATE = "register_candidate"
    EVALUATE_ELIGIBILITY = "evaluate_eligibility"
    JUDGE_CRITERIA = "judge_criteria"
    RECORD_SCREEN_FAILURE = "record_screen_failure"
    RECORD_CONSENT = "record_consent"
    ENROL_PARTICIPANT = "enrol_participant"
    END_PARTICIPATION = "end_participation"
    # Randomization, kits and treatment
    GENERATE_RANDOMIZATION_LIST = "generate_randomization_list"
    RELEASE_RANDOMIZATION_LIST = "release_randomization_list"
    RANDOMIZE_PARTICIPANT = "randomize_participant"
    CONFIRM_PREPARATION = "confirm_preparation"
    RECORD_ADMINISTRATION = "record_administration"
    CORRECT_ADMINISTRATION = "correct_administration"
    START_PERIOD = "start_period"
    # Visits and deviations
    RECORD_VISIT = "record_visit"
    RECORD_MISSED_VISIT = "record_missed_visit"
    RECORD_DEVIATION = "record_deviation"
    # Data capture
    SAVE_FORM = "save_form"
    SIGN_FORM = "sign_form"
    SIGN_CASEBOOK = "sign_casebook"
    """One password re-entry signing the unsigned forms of a visit or a whole casebook (a
    ``sign_form`` event for each form follows)."""
    SIGN_FORM_REFUSED = "sign_form_refused"
    VOID_SIGNATURE = "void_signature"
    OPEN_AUTOMATIC_QUERY = "open_automatic_query"
    CLOSE_AUTOMATIC_QUERY = "close_automatic_query"
    RAISE_QUERY = "raise_query"
    ANSWER_QUERY = "answer_query"
    CLOSE_QUERY = "close_query"
    REOPEN_QUERY = "reopen_query"
    ASSIGN_QUERY = "assign_query"
    """A query assigned to a person (or unassigned); old and new assignee."""
    # Source data verification (monitoring)
    VERIFY_SOURCE = "verify_source"
    """Items of one form compared with the source and found to agree (one item, or the
    whole form's items that awaited it)."""
    VERIFY_SOURCE_VISIT = "verify_source_visit"
    """Every form of a visit awaiting verification, verified in one act (naming each)."""
    RECORD_SOURCE_DISCREPANCY = "record_source_discrepancy"
    """An item found to differ from the source, with a note (a ``raise_query`` may precede
    it)."""
    # Adverse-event coding (the sponsor's medical dictionary)
    LOAD_DICTIONARY = "load_dictionary"
    """A dictionary release loaded and made the one coders use (or an earlier one again)."""
    CODE_ADVERSE_EVENT = "code_adverse_event"
    """An event's verbatim term coded to a lowest level term by a person (old and new)."""
    AUTOCODE_ADVERSE_EVENTS = "autocode_adverse_events"
    """Events whose verbatim term is exactly one current term, coded in one act (each named)."""
    # Safety and oversight
    START_SAE_CLOCK = "start_sae_clock"
    REPORT_SERIOUS_EVENT = "report_serious_event"
    SET_SAE_AWARENESS = "set_sae_awareness"
    """When the site became aware of a serious event: it moves the reporting deadline."""
    SIGN_SAFETY_DECISION = "sign_safety_decision"
    UNBLIND_PARTICIPANT = "unblind_participant"
    PREPARE_DATA_CUT = "prepare_data_cut"
    """By-arm tables frozen at a date for the committee's closed session."""
    PRODUCE_SMC_REPORT = "produce_smc_report"
    """A committee safety report (open or closed session) produced and kept as its bytes."""
    # Locks
    LOCK_PARTICIPANT = "lock_participant"
    UNLOCK_PARTICIPANT = "unlock_participant"
    LOCK_STUDY = "lock_study"
    """The study lock, confirmed by a second person after ``request_study_lock``."""
    REQUEST_STUDY_LOCK = "request_study_lock"
    WITHDRAW_STUDY_LOCK_REQUEST = "withdraw_study_lock_request"
    # Reads of blinded facts and data leaving the system (trialkit.web.trial.read_audit): not
    # actions (nothing changes), but who saw what is part of the record.
    READ_ALLOCATION = "read_allocation"
    READ_PREPARATION = "read_preparation"
    READ_PROCEDURE_TYPE = "read_procedure_type"
    READ_RANDOMIZATION_LIST = "read_randomization_list"
    READ_ARM_SUMMARIES = "read_arm_summaries"
    READ_REFUSED = "read_refused"
    """A read of a blinded fact was refused (the role does not see it)."""
    EXPORT_DATA = "export_data"
    # What the kernel itself writes
    ACTION_REFUSED = "action_refused"
    """An action was refused for permission or state; written after its rollback."""
    PASSWORD_REFUSED = "password_refused"
    """A wrong password at a re-entry (signature, unblinding, decision); counts toward lockout."""
