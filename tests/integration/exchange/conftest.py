"""The exchange tests' fixtures: the demo trial of tests/integration/pages/support.py."""

from tests.integration.pages.support import module_demo  # noqa: F401  (a fixture)
