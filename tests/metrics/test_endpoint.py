"""`/metrics`: absent without METRICS_TOKEN, then opened by that bearer token alone."""

from __future__ import annotations

import pytest

from tests.metrics.conftest import TOKEN, scrape


def test_without_a_token_configured_metrics_is_a_404_like_any_unknown_path(client):
    missing = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    unknown = client.get("/no-such-route")
    assert missing.status_code == unknown.status_code == 404
    assert missing.get_json()["error"]["code"] == unknown.get_json()["error"]["code"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer métrique-ünïcode",
    ],
)
def test_a_missing_or_wrong_token_is_a_401_envelope_with_no_figures(metered, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = metered.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {
        "error": {"code": "invalid_token", "message": "A valid metrics token is required."}
    }
    assert b"partner_api" not in response.data


def test_the_token_opens_every_family(metered):
    families = scrape(metered)
    assert {
        "partner_api_http_requests",
        "partner_api_http_request_duration_seconds",
        "partner_api_vercel_api_calls",
        "partner_api_jwks_refreshes",
        "partner_api_jobs_readable",
        "partner_api_jobs",
        "partner_api_jobs_due",
        "partner_api_jobs_oldest_due_age_seconds",
    } <= set(families)


def test_the_bearer_scheme_is_case_insensitive(metered):
    response = metered.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
