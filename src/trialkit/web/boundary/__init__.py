"""The input boundary: every request passes through it before a view acts on it.

- ``middleware``: the body's size, strict JSON for the API, the query string's characters;
- ``fields``: every input field by name with its rule (lengths from the database columns);
- ``api_types``: the API's request types, validating with those rules and publishing them in
  the OpenAPI schema;
- ``posted``: the pages' form readers, applying the same rules to submitted forms.

The rules themselves are pure and live in ``trialkit.core.hygiene``; docs/security.md, "Input
hygiene", describes them.
"""
