"""Start Django for commands that use the trial database."""

from __future__ import annotations

import os


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialkit.web.settings")
    import django

    django.setup()
