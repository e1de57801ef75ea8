"""The pages' URLs (included at the site root by trialkit.web.urls)."""

from pathlib import Path

from django.urls import path, re_path
from django.views.static import serve

from trialkit.web.pages import (
    views_account,
    views_account_admin,
    views_admin,
    views_auth,
    views_forms,
    views_locks,
    views_oversight,
    views_participant,
    views_screening,
    views_simulation,
    views_trial,
    views_unblinded,
)

app_name = "pages"
# The pages' own stylesheet and script, served by the application itself so that `make run`
# (runserver without DEBUG) shows styled pages; a deployment may serve /static/ in front.
STATIC = Path(__file__).parent / "static" / "pages"

urlpatterns = [
    path("login/", views_auth.sign_in, name="login"),
    path("logout/", views_auth.sign_out, name="logout"),
    path("role/", views_auth.choose_role, name="choose_role"),
    path("login/code/", views_auth.second_factor, name="login_code"),
    path("login/enrol/", views_auth.enrol_second_factor, name="login_enrol"),
    path("account/", views_account.account, name="account"),
    path("account/password/", views_auth.change_password, name="change_password"),
    path("account/<str:step>/", views_account.account_action, name="account_action"),
    path("", views_trial.dashboard, name="dashboard"),
    path("participants/", views_trial.participants, name="participants"),
    path("screening/", views_trial.screening_list, name="screening_list"),
    path("screening/register/", views_trial.register_candidate, name="register_candidate"),
    path("participants/<int:pk>/", views_participant.participant, name="participant"),
    path("participants/<int:pk>/screening/", views_screening.screening, name="screening"),
    path("participants/<int:pk>/screening/<str:step>/", views_screening.screening_action,
         name="screening_action"),
    path("participants/<int:pk>/enrol/", views_participant.enrol, name="enrol"),
    path("participants/<int:pk>/randomization/", views_participant.randomization_result,
         name="randomization_result"),
    path("participants/<int:pk>/unblind/", views_participant.unblind, name="unblind"),
    path("participants/<int:pk>/visits/<str:visit_id>/done/", views_participant.record_visit,
         name="record_visit"),
    path("participants/<int:pk>/doses/", views_participant.record_dose, name="record_dose"),
    path("participants/<int:pk>/forms/<str:visit_id>/<str:form_id>/", views_forms.form_entry,
         name="form_entry"),
    path("forms/<int:record_id>/", views_forms.form_history, name="form_history"),
    path("forms/<int:record_id>/sign/", views_forms.sign_form, name="sign_form"),
    path("forms/<int:record_id>/queries/", views_forms.raise_query, name="raise_query"),
    path("queries/", views_oversight.queries, name="queries"),
    path("queries/<int:pk>/", views_oversight.query, name="query"),
    path("queries/<int:pk>/<str:step>/", views_oversight.query_action, name="query_action"),
    path("safety/", views_oversight.safety, name="safety"),
    path("safety/clocks/<int:record_id>/report/", views_oversight.report_serious,
         name="report_serious"),
    path("committee/", views_oversight.committee, name="committee"),
    path("committee/decisions/", views_oversight.decide, name="decide"),
    path("committee/closed-session/", views_oversight.closed_session, name="closed_session"),
    path("committee/closed-session/data-cuts/", views_oversight.prepare_data_cut,
         name="prepare_data_cut"),
    path("simulation/", views_simulation.simulation, name="simulation"),
    path("preparations/", views_unblinded.preparations, name="preparations"),
    path("preparations/confirm/", views_unblinded.confirm_preparation,
         name="confirm_preparation"),
    path("procedures/", views_unblinded.procedures, name="procedures"),
    path("randomization/list/", views_unblinded.randomization_list, name="randomization_list"),
    path("randomization/list/<str:step>/", views_unblinded.randomization_list_action,
         name="randomization_list_action"),
    path("study/lock/", views_locks.study_lock, name="study_lock"),
    path("study/lock/<str:step>/", views_locks.study_lock_action, name="study_lock_action"),
    path("audit/", views_admin.audit, name="audit"),
    path("audit/verify/", views_admin.audit_verify, name="audit_verify"),
    path("administration/", views_admin.admin_users, name="admin_users"),
    path("administration/accounts/<str:step>/", views_account_admin.account_admin_action,
         name="account_admin_action"),
    path("administration/<str:step>/", views_admin.admin_action, name="admin_action"),
    re_path(r"^static/pages/(?P<path>[\w.-]+)$", serve, {"document_root": STATIC},
            name="static"),
]
