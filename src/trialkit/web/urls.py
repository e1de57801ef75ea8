"""URL configuration: the JSON API under /api/, pages elsewhere."""

from django.urls import include, path

from trialkit.web.api import api

urlpatterns = [
    path("api/", api.urls),
    # The language picker posts here (Django's set_language: a cookie, then back to the page).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("trialkit.web.pages.urls")),
]
