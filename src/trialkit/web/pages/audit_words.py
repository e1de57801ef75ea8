"""The audit trail in words: what each event means, what kind of record it is about.

The stored ``action`` is a code (``sign_form``) because it is exported and compared; people
read "Signed a form" (in their language: the words are translated when shown; the stored
code is not). Every member of ``AuditAction`` has words here, and a test keeps it so:
a new action without words would show its code on the audit page.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from trialkit.web.trial.actions.vocabulary import AuditAction as A

ACTION_WORDS: dict[A, str] = {
    A.LOAD_PROTOCOL: _("Loaded a protocol version"),
    A.CREATE_USER: _("Created an account"),
    A.ADD_PERSON: _("Added a person with their first role"),
    A.GRANT_ROLE: _("Granted a role"),
    A.REVOKE_ROLE: _("Revoked a role"),
    A.ISSUE_API_TOKEN: _("Issued an API token"),
    A.SIGN_IN: _("Signed in"),
    A.SIGN_IN_FAILED: _("Sign-in failed"),
    A.SIGN_IN_REFUSED: _("Sign-in refused"),
    A.REQUEST_ROLE: _("Asked for a role to be granted (second administrator needed)"),
    A.APPROVE_ROLE_REQUEST: _("Approved a role request"),
    A.REFUSE_ROLE_REQUEST: _("Refused a role request"),
    A.REVOKE_API_TOKEN: _("Revoked an API token"),
    A.DEACTIVATE_USER: _("Deactivated an account"),
    A.UNLOCK_ACCOUNT: _("Unlocked an account"),
    A.RESET_PASSWORD: _("Reset a password"),
    A.CHANGE_PASSWORD: _("Changed their password"),
    A.PASSWORD_ACCEPTED: _("Password accepted (second factor next)"),
    A.START_TWO_FACTOR: _("Started two-factor set-up"),
    A.CONFIRM_TWO_FACTOR: _("Confirmed two-factor sign-in"),
    A.VERIFY_SECOND_FACTOR: _("Second factor accepted"),
    A.SECOND_FACTOR_FAILED: _("Second factor refused"),
    A.USE_RECOVERY_CODE: _("Used a recovery code"),
    A.RENEW_RECOVERY_CODES: _("Renewed recovery codes"),
    A.RESET_TWO_FACTOR: _("Reset two-factor sign-in"),
    A.SWITCH_ROLE: _("Switched role"),
    A.SWITCH_ROLE_REFUSED: _("Role switch refused"),
    A.SIGN_OUT: _("Signed out"),
    A.REGISTER_CANDIDATE: _("Registered a candidate"),
    A.EVALUATE_ELIGIBILITY: _("Evaluated eligibility"),
    A.JUDGE_CRITERIA: _("Judged criteria"),
    A.RECORD_SCREEN_FAILURE: _("Recorded a screen failure"),
    A.RECORD_CONSENT: _("Recorded informed consent"),
    A.ENROL_PARTICIPANT: _("Enrolled a participant"),
    A.END_PARTICIPATION: _("Ended a participation"),
    A.GENERATE_RANDOMIZATION_LIST: _("Generated a randomization list"),
    A.RELEASE_RANDOMIZATION_LIST: _("Released a randomization list"),
    A.RANDOMIZE_PARTICIPANT: _("Randomized a participant"),
    A.CONFIRM_PREPARATION: _("Confirmed a preparation"),
    A.RECORD_ADMINISTRATION: _("Recorded an administration"),
    A.CORRECT_ADMINISTRATION: _("Corrected an administration"),
    A.START_PERIOD: _("Started a treatment period"),
    A.RECORD_VISIT: _("Recorded a visit"),
    A.RECORD_MISSED_VISIT: _("Recorded a missed visit"),
    A.RECORD_DEVIATION: _("Recorded a protocol deviation"),
    A.SAVE_FORM: _("Saved a form"),
    A.SIGN_FORM: _("Signed a form"),
    A.SIGN_CASEBOOK: _("Signed forms in one act"),
    A.SIGN_FORM_REFUSED: _("Signature refused"),
    A.VOID_SIGNATURE: _("Voided a signature"),
    A.OPEN_AUTOMATIC_QUERY: _("Opened an automatic query (edit check)"),
    A.CLOSE_AUTOMATIC_QUERY: _("Closed an automatic query (edit check passes)"),
    A.RAISE_QUERY: _("Raised a query"),
    A.ANSWER_QUERY: _("Answered a query"),
    A.CLOSE_QUERY: _("Closed a query"),
    A.REOPEN_QUERY: _("Reopened a query"),
    A.ASSIGN_QUERY: _("Assigned a query"),
    A.VERIFY_SOURCE: _("Verified items against the source"),
    A.VERIFY_SOURCE_VISIT: _("Verified a visit's forms against the source"),
    A.RECORD_SOURCE_DISCREPANCY: _("Recorded a difference from the source"),
    A.LOAD_DICTIONARY: _("Loaded a medical dictionary version"),
    A.CODE_ADVERSE_EVENT: _("Coded an adverse event to the dictionary"),
    A.AUTOCODE_ADVERSE_EVENTS: _("Coded adverse events that exactly match a dictionary term"),
    A.START_SAE_CLOCK: _("Started a serious event's reporting clock"),
    A.REPORT_SERIOUS_EVENT: _("Recorded a serious event report"),
    A.SET_SAE_AWARENESS: _("Recorded when the site became aware of a serious event"),
    A.SIGN_SAFETY_DECISION: _("Signed a safety decision"),
    A.UNBLIND_PARTICIPANT: _("Unblinded a participant (emergency)"),
    A.PREPARE_DATA_CUT: _("Prepared a data cut"),
    A.PRODUCE_SMC_REPORT: _("Produced a committee safety report"),
    A.LOCK_PARTICIPANT: _("Locked a participant's data"),
    A.UNLOCK_PARTICIPANT: _("Unlocked a participant's data"),
    A.LOCK_STUDY: _("Locked the study"),
    A.REQUEST_STUDY_LOCK: _("Asked for the study lock"),
    A.WITHDRAW_STUDY_LOCK_REQUEST: _("Withdrew a study lock request"),
    A.READ_ALLOCATION: _("Read an allocation"),
    A.READ_PREPARATION: _("Read a preparation"),
    A.READ_PROCEDURE_TYPE: _("Read a procedure type"),
    A.READ_RANDOMIZATION_LIST: _("Read the randomization list"),
    A.READ_ARM_SUMMARIES: _("Read by-arm summaries"),
    A.READ_REFUSED: _("Read of a blinded fact refused"),
    A.EXPORT_DATA: _("Exported data"),
    A.ACTION_REFUSED: _("Action refused"),
    A.PASSWORD_REFUSED: _("Password refused at re-entry"),
}


def action_in_words(code: str) -> str:
    """Words for a stored action code; an unknown code (none should exist) shows as is."""
    try:
        return str(ACTION_WORDS[A(code)])
    except ValueError:
        return code


def action_choices() -> list[tuple[str, str]]:
    """(code, words) of every action, in the words' order, for the audit page's filter."""
    return sorted(((code.value, str(words)) for code, words in ACTION_WORDS.items()),
                  key=lambda choice: choice[1])


def object_type_in_words(name: str) -> str:
    """``FormRecord`` → "form record", from the model's own verbose name; a non-model subject
    (``protocol``, a user name) is shown as stored."""
    for model in apps.get_app_config("trial").get_models():
        if model.__name__ == name:
            return str(model._meta.verbose_name)
    return name
