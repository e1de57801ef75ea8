"""The JSON API (django-ninja): every action, token or session authentication, OpenAPI schema."""

from trialkit.web.api.app import api

__all__ = ["api"]
