"""The one classification of Vercel's failures: gone, rejected or unreachable."""

from __future__ import annotations

import pytest
import requests

from partner_api.vercel.errors import UnexpectedResponse, VercelApiError, VercelUnreachable
from partner_api.vercel.outcomes import Outcome, outcome_of

GONE, REJECTED, UNREACHABLE = Outcome.GONE, Outcome.REJECTED, Outcome.UNREACHABLE


@pytest.mark.parametrize(
    ("status", "live", "uninstalled"),
    [
        (400, REJECTED, REJECTED),
        (422, REJECTED, REJECTED),
        (401, UNREACHABLE, GONE),
        (403, UNREACHABLE, GONE),
        (404, UNREACHABLE, GONE),
        (410, GONE, GONE),
        (408, UNREACHABLE, UNREACHABLE),
        (409, UNREACHABLE, UNREACHABLE),
        (429, UNREACHABLE, UNREACHABLE),
        (500, UNREACHABLE, UNREACHABLE),
        (503, UNREACHABLE, UNREACHABLE),
    ],
)
def test_an_answer_is_gone_only_with_the_local_state_except_410(status, live, uninstalled):
    error = VercelApiError("POST", "/x", status)
    assert outcome_of(error, uninstalled=False) is live
    assert outcome_of(error, uninstalled=True) is uninstalled


@pytest.mark.parametrize(
    "error",
    [
        VercelUnreachable("POST", "/x", requests.ConnectionError("refused")),
        UnexpectedResponse("POST", "/x", ValueError("no id")),
    ],
)
def test_no_usable_answer_is_unreachable_whatever_the_state(error):
    assert outcome_of(error, uninstalled=True) is UNREACHABLE
    assert outcome_of(error, uninstalled=False, gone_anytime={404}) is UNREACHABLE


def test_a_caller_says_which_statuses_mean_gone_while_the_installation_is_live():
    missing, gone = VercelApiError("GET", "/x", 404), VercelApiError("GET", "/x", 410)
    assert outcome_of(missing, uninstalled=False, gone_anytime={404}) is GONE
    assert outcome_of(gone, uninstalled=False, gone_anytime={404}) is UNREACHABLE
    assert outcome_of(gone, uninstalled=False, gone_anytime=()) is UNREACHABLE
    assert outcome_of(gone, uninstalled=True, gone_anytime=()) is GONE
