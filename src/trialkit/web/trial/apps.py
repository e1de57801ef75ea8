from django.apps import AppConfig


class TrialConfig(AppConfig):
    name = "trialkit.web.trial"
    label = "trial"
    verbose_name = "Trial operations"
    default_auto_field = "django.db.models.BigAutoField"
