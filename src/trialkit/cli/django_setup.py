"""Start Django for commands that use the trial database."""

from __future__ import annotations

import os

from trialkit.cli.errors import UsageError


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialkit.web.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:  # e.g. no secret key: a sentence, not a traceback
        raise UsageError(str(exc)) from None
