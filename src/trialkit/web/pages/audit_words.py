"""The audit trail in words: what each event means, what kind of record it is about.

The stored ``action`` is a code (``sign_form``) because it is exported and compared; people
read "Signed a form". Every member of ``AuditAction`` has words here, and a test keeps it so:
a new action without words would show its code on the audit page.
"""

from __future__ import annotations

from django.apps import apps

from trialkit.web.trial.actions.vocabulary import AuditAction as A

ACTION_WORDS: dict[A, str] = {
    A.LOAD_PROTOCOL: "Loaded a protocol version",
    A.CREATE_USER: "Created an account",
    A.ADD_PERSON: "Added a person with their first role",
    A.GRANT_ROLE: "Granted a role",
    A.REVOKE_ROLE: "Revoked a role",
    A.ISSUE_API_TOKEN: "Issued an API token",
    A.SIGN_IN: "Signed in",
    A.SIGN_IN_FAILED: "Sign-in failed",
    A.SIGN_IN_REFUSED: "Sign-in refused",
    A.REQUEST_ROLE: "Asked for a role to be granted (second administrator needed)",
    A.APPROVE_ROLE_REQUEST: "Approved a role request",
    A.REFUSE_ROLE_REQUEST: "Refused a role request",
    A.REVOKE_API_TOKEN: "Revoked an API token",
    A.DEACTIVATE_USER: "Deactivated an account",
    A.UNLOCK_ACCOUNT: "Unlocked an account",
    A.RESET_PASSWORD: "Reset a password",
    A.CHANGE_PASSWORD: "Changed their password",
    A.PASSWORD_ACCEPTED: "Password accepted (second factor next)",
    A.START_TWO_FACTOR: "Started two-factor set-up",
    A.CONFIRM_TWO_FACTOR: "Confirmed two-factor sign-in",
    A.VERIFY_SECOND_FACTOR: "Second factor accepted",
    A.SECOND_FACTOR_FAILED: "Second factor refused",
    A.USE_RECOVERY_CODE: "Used a recovery code",
    A.RENEW_RECOVERY_CODES: "Renewed recovery codes",
    A.RESET_TWO_FACTOR: "Reset two-factor sign-in",
    A.SWITCH_ROLE: "Switched role",
    A.SWITCH_ROLE_REFUSED: "Role switch refused",
    A.SIGN_OUT: "Signed out",
    A.REGISTER_CANDIDATE: "Registered a candidate",
    A.EVALUATE_ELIGIBILITY: "Evaluated eligibility",
    A.JUDGE_CRITERIA: "Judged criteria",
    A.RECORD_SCREEN_FAILURE: "Recorded a screen failure",
    A.RECORD_CONSENT: "Recorded informed consent",
    A.ENROL_PARTICIPANT: "Enrolled a participant",
    A.END_PARTICIPATION: "Ended a participation",
    A.GENERATE_RANDOMIZATION_LIST: "Generated a randomization list",
    A.RELEASE_RANDOMIZATION_LIST: "Released a randomization list",
    A.RANDOMIZE_PARTICIPANT: "Randomized a participant",
    A.CONFIRM_PREPARATION: "Confirmed a preparation",
    A.RECORD_ADMINISTRATION: "Recorded an administration",
    A.START_PERIOD: "Started a treatment period",
    A.RECORD_VISIT: "Recorded a visit",
    A.RECORD_MISSED_VISIT: "Recorded a missed visit",
    A.RECORD_DEVIATION: "Recorded a protocol deviation",
    A.SAVE_FORM: "Saved a form",
    A.SIGN_FORM: "Signed a form",
    A.SIGN_CASEBOOK: "Signed forms in one act",
    A.SIGN_FORM_REFUSED: "Signature refused",
    A.VOID_SIGNATURE: "Voided a signature",
    A.OPEN_AUTOMATIC_QUERY: "Opened an automatic query (edit check)",
    A.CLOSE_AUTOMATIC_QUERY: "Closed an automatic query (edit check passes)",
    A.RAISE_QUERY: "Raised a query",
    A.ANSWER_QUERY: "Answered a query",
    A.CLOSE_QUERY: "Closed a query",
    A.REOPEN_QUERY: "Reopened a query",
    A.ASSIGN_QUERY: "Assigned a query",
    A.VERIFY_SOURCE: "Verified items against the source",
    A.VERIFY_SOURCE_VISIT: "Verified a visit's forms against the source",
    A.RECORD_SOURCE_DISCREPANCY: "Recorded a difference from the source",
    A.LOAD_DICTIONARY: "Loaded a medical dictionary version",
    A.CODE_ADVERSE_EVENT: "Coded an adverse event to the dictionary",
    A.AUTOCODE_ADVERSE_EVENTS: "Coded adverse events that exactly match a dictionary term",
    A.START_SAE_CLOCK: "Started a serious event's reporting clock",
    A.REPORT_SERIOUS_EVENT: "Recorded a serious event report",
    A.SET_SAE_AWARENESS: "Recorded when the site became aware of a serious event",
    A.SIGN_SAFETY_DECISION: "Signed a safety decision",
    A.UNBLIND_PARTICIPANT: "Unblinded a participant (emergency)",
    A.PREPARE_DATA_CUT: "Prepared a data cut",
    A.PRODUCE_SMC_REPORT: "Produced a committee safety report",
    A.LOCK_PARTICIPANT: "Locked a participant's data",
    A.UNLOCK_PARTICIPANT: "Unlocked a participant's data",
    A.LOCK_STUDY: "Locked the study",
    A.REQUEST_STUDY_LOCK: "Asked for the study lock",
    A.WITHDRAW_STUDY_LOCK_REQUEST: "Withdrew a study lock request",
    A.READ_ALLOCATION: "Read an allocation",
    A.READ_PREPARATION: "Read a preparation",
    A.READ_PROCEDURE_TYPE: "Read a procedure type",
    A.READ_RANDOMIZATION_LIST: "Read the randomization list",
    A.READ_ARM_SUMMARIES: "Read by-arm summaries",
    A.READ_REFUSED: "Read of a blinded fact refused",
    A.EXPORT_DATA: "Exported data",
    A.ACTION_REFUSED: "Action refused",
    A.PASSWORD_REFUSED: "Password refused at re-entry",
}


def action_in_words(code: str) -> str:
    """Words for a stored action code; an unknown code (none should exist) shows as is."""
    try:
        return ACTION_WORDS[A(code)]
    except ValueError:
        return code


def action_choices() -> list[tuple[str, str]]:
    """(code, words) of every action, in the words' order, for the audit page's filter."""
    return sorted(((code.value, words) for code, words in ACTION_WORDS.items()),
                  key=lambda choice: choice[1])


def object_type_in_words(name: str) -> str:
    """``FormRecord`` → "form record", from the model's own verbose name; a non-model subject
    (``protocol``, a user name) is shown as stored."""
    for model in apps.get_app_config("trial").get_models():
        if model.__name__ == name:
            return str(model._meta.verbose_name)
    return name
