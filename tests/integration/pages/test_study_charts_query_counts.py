"""The study charts cost a fixed number of queries (no query per participant, visit or event),
measured with hundreds of participants, on every protocol: the participants, their visits,
adverse events and arms are test data written in bulk (test_query_counts.py)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in
from tests.integration.pages.test_query_counts import _add_participants, _queries

pytestmark = pytest.mark.protocols()


def test_the_charts_and_the_dashboard_card_cost_the_same_queries_for_ten_and_for_five_hundred(
        trial, make_actor):
    client = signed_in(make_actor(trial.data_manager).name, PASSWORD)
    _add_participants(trial, 1, 10)
    few = (_queries(client, "/charts/"), _queries(client, "/"))
    _add_participants(trial, 11, 490)
    page = client.get("/charts/")
    assert page.context["enrolment"].enrolled == 500
    assert (_queries(client, "/charts/"), _queries(client, "/")) == few
