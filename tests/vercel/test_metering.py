"""Calls to Vercel counted by client operation and outcome; no id or path in a label."""

from __future__ import annotations

import pytest
import requests
import responses
from prometheus_client import REGISTRY

from partner_api.vercel.client import VercelClient
from partner_api.vercel.errors import (
    UnexpectedResponse,
    VercelApiError,
    VercelUnreachable,
)

BASE = "https://api.vercel.test"
ICFG = "icfg_metered0001"
ACCOUNT = f"{BASE}/v1/installations/{ICFG}/account"


def calls(operation: str, outcome: str) -> float:
    labels = {"operation": operation, "outcome": outcome}
    return REGISTRY.get_sample_value("partner_api_vercel_api_calls_total", labels) or 0.0


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client() -> VercelClient:
    # A plain session: no retries, so each call is one answer.
    return VercelClient(BASE, "vercel-token", session=requests.Session())


ACCOUNT_JSON = {"name": "Acme", "url": "https://vercel.com/acme", "contact": None}


@pytest.mark.parametrize(
    ("answer", "raised", "outcome"),
    [
        ({"json": ACCOUNT_JSON}, None, "ok"),
        ({"status": 404, "json": {"error": {"code": "not_found"}}}, VercelApiError, "4xx"),
        ({"status": 503}, VercelApiError, "5xx"),
        ({"body": requests.ConnectionError("refused")}, VercelUnreachable, "unreachable"),
        ({"body": "not json", "status": 200}, UnexpectedResponse, "unexpected_response"),
    ],
)
def test_each_call_is_counted_by_operation_and_outcome(api, client, answer, raised, outcome):
    api.add(responses.GET, ACCOUNT, **answer)
    before = calls("get_account", outcome)
    if raised is None:
        client.get_account(ICFG)
    else:
        with pytest.raises(raised):
            client.get_account(ICFG)
    assert calls("get_account", outcome) == before + 1


def test_a_call_refused_before_it_is_sent_is_an_error(client):
    before = calls("get_resource", "error")
    with pytest.raises(ValueError, match="cannot be an id"):
        client.get_resource(ICFG, "..")
    assert calls("get_resource", "error") == before + 1


def test_no_label_carries_an_id(api, client):
    api.add(responses.GET, ACCOUNT, json=ACCOUNT_JSON)
    client.get_account(ICFG)
    labels = [
        sample.labels
        for family in REGISTRY.collect()
        if family.name == "partner_api_vercel_api_calls"
        for sample in family.samples
    ]
    assert labels
    assert all(ICFG not in str(label) and "/" not in str(label) for label in labels)
