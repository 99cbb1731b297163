"""Requests counted and timed by URL rule, method and status: never by path or caller."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.conftest import INSTALLATION_ID
from tests.metrics.conftest import scrape

RULE = "/v1/installations/<string:installation_id>"


def count(endpoint: str, method: str, status: str) -> float:
    labels = {"endpoint": endpoint, "method": method, "status": status}
    return REGISTRY.get_sample_value("partner_api_http_requests_total", labels) or 0.0


def timed(endpoint: str, method: str) -> float:
    labels = {"endpoint": endpoint, "method": method}
    name = "partner_api_http_request_duration_seconds_count"
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_partner_api_call_is_counted_under_its_rule_not_its_path(metered, vercel):
    before, timed_before = count(RULE, "GET", "404"), timed(RULE, "GET")
    for installation in (INSTALLATION_ID, "icfg_other0000000000000000002"):
        metered.get(f"/v1/installations/{installation}", headers=vercel.system(installation))
    assert count(RULE, "GET", "404") == before + 2
    assert timed(RULE, "GET") == timed_before + 2
    exposed = "".join(str(samples) for samples in scrape(metered).values())
    assert INSTALLATION_ID not in exposed


def test_refused_calls_are_counted_with_their_status(metered):
    before = count(RULE, "PUT", "401")
    metered.put(f"/v1/installations/{INSTALLATION_ID}", json={})
    assert count(RULE, "PUT", "401") == before + 1


def test_paths_no_rule_matches_share_one_series(metered):
    before = count("unmatched", "GET", "404")
    for path in ("/a", "/b/c", "/v1/installations"):
        assert metered.get(path).status_code == 404
    assert count("unmatched", "GET", "404") == before + 3


def test_made_up_methods_share_one_series(metered):
    before = count("/healthz", "other", "405")
    for method in ("BREW", "PROPFIND", "X" * 40):
        assert metered.open("/healthz", method=method).status_code == 405
    after = sum(count(rule, "other", "405") for rule in ("/healthz", "unmatched"))
    assert after - before == 3
    exposed = str(scrape(metered)["partner_api_http_requests"])
    assert "BREW" not in exposed and "PROPFIND" not in exposed
