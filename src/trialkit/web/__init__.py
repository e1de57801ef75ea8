"""The Django project: UI, JSON API, accounts and roles, persistence, audit."""
