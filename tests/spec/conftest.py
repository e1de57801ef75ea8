"""The ``engine`` fixture: every spec case runs on the in-memory engine and the batch engines.

A batch engine that cannot run here is skipped with the reason, never passed silently.
"""

from __future__ import annotations

import pytest

from tests.spec.support import Engine, batch_skip_reason


@pytest.fixture(params=["memory", "duckdb", "postgres",
                        pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.slow])])
def engine(request: pytest.FixtureRequest) -> Engine:
    name: str = request.param
    reason = batch_skip_reason(name)
    if reason is not None:
        pytest.skip(reason)
    return Engine(name)
