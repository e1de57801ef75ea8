"""URL configuration: the JSON API under /api/, pages elsewhere."""

from django.urls import include, path

from trialkit.web.api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("trialkit.web.pages.urls")),
]
