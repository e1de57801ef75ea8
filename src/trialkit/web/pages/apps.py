from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "trialkit.web.pages"
    label = "pages"
