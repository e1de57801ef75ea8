"""Pages name roles, permissions and unblinded information in words, never by their codes
(the administrators' page listed "edss_rater at CMUH", "enter_data, answer_query" and
"arm_summaries")."""

from __future__ import annotations

import re
import typing

import pytest
from django.urls import reverse

from tests.integration.pages.support import client_for, text_of
from trialkit.core.protocol.roles import BlindedInformation, Permission
from trialkit.web.pages.vocabulary import INFORMATION_WORDS, PERMISSION_WORDS

pytestmark = pytest.mark.protocols()


def test_every_permission_and_kind_of_unblinded_information_has_words():
    assert set(PERMISSION_WORDS) == set(typing.get_args(Permission))
    assert set(INFORMATION_WORDS) == set(typing.get_args(BlindedInformation))


def test_the_administrators_page_names_roles_permissions_and_information_in_words(
        trial, module_demo):
    protocol = trial.protocol
    page = text_of(client_for(module_demo, trial.administrator).get(
        reverse("pages:admin_users")).content)
    codes = {r.id for r in protocol.roles if r.id != r.name.lower()}
    codes |= {p for r in protocol.roles for p in r.can} | {s for r in protocol.roles
                                                            for s in r.sees}
    shown = {code for code in codes if "_" in code and re.search(
        rf"(?<![\w-]){re.escape(code)}(?![\w-])", page)}
    assert shown == set()
    for role in protocol.roles:
        assert role.name.lower() in page
        assert all(PERMISSION_WORDS[p] in page for p in role.can)
