"""JwksCache: fetching, ttl, rate-limited refetch on unknown kid, fallback, file:// URLs."""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from joserfc.jwk import ECKey, OctKey
from prometheus_client import REGISTRY

from partner_api.auth.devkeys import public_jwks
from partner_api.auth.jwks import JwksCache, JwksError
from tests.auth.keyhelpers import FakeClock, b64url, rsa_key

URL = "https://keys.example.test/.well-known/jwks"
TTL = 600.0
COOLDOWN = 30.0


def jwks(*names: str) -> dict[str, Any]:
    return public_jwks(rsa_key(name) for name in names)


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_cache(clock: FakeClock, url: str = URL) -> JwksCache:
    return JwksCache(url, ttl=TTL, refresh_cooldown=COOLDOWN, timeout=2.5, clock=clock)


def serve(http: responses.RequestsMock, **kwargs: Any) -> None:
    """Make the JWKS URL answer with ``kwargs`` (replacing any earlier answer)."""
    http.remove(responses.GET, URL)
    http.add(responses.GET, URL, **kwargs)


def test_first_lookup_fetches_once_and_then_uses_the_cache(http, clock):
    serve(http, json=jwks("a", "b"))
    cache = make_cache(clock)
    assert cache.fetch_count == 0

    key = cache.find("a")

    assert key is not None
    assert key.kid == "a"
    assert key.as_dict()["n"] == rsa_key("a").as_dict()["n"]
    assert not key.is_private
    assert cache.find("b").kid == "b"
    assert cache.fetch_count == 1
    assert len(http.calls) == 1
    assert http.calls[0].request.req_kwargs["timeout"] == 2.5


def test_keys_are_refetched_when_the_ttl_expires(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")
    serve(http, json=jwks("b"))

    clock.advance(TTL - 1)
    assert cache.find("a") is not None
    assert cache.fetch_count == 1

    clock.advance(1)
    assert cache.find("b") is not None
    assert cache.fetch_count == 2
    assert cache.find("a") is None  # rotated out of the set


def test_unknown_kid_triggers_exactly_one_refetch(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")
    serve(http, json=jwks("a", "b"))
    clock.advance(1)

    assert cache.find("b").kid == "b"
    assert cache.fetch_count == 2


def test_unknown_kids_are_refetched_at_most_once_per_cooldown(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")

    clock.advance(1)
    assert cache.find("forged-0") is None
    assert cache.fetch_count == 2

    for i in range(1, 50):
        clock.advance((COOLDOWN - 1) / 50)
        assert cache.find(f"forged-{i}") is None
    assert cache.fetch_count == 2

    serve(http, json=jwks("a", "b"))
    assert cache.find("b") is None  # still inside the window
    clock.advance(COOLDOWN)
    assert cache.find("b").kid == "b"
    assert cache.fetch_count == 3


def test_concurrent_lookups_share_one_fetch(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    barrier = threading.Barrier(16)
    found: list[bool] = []

    def lookup() -> None:
        barrier.wait()
        found.append(cache.find("a") is not None)
        found.append(cache.find("forged") is None)

    threads = [threading.Thread(target=lookup) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert found == [True] * 32
    assert cache.fetch_count == 2  # the first load, then one refetch for the forged kid


FAILED_RESPONSES = {
    "server error": {"status": 503, "json": {"error": "unavailable"}},
    "not found": {"status": 404, "body": "missing"},
    "network error": {"body": requests.ConnectionError("connection refused")},
    "timeout": {"body": requests.Timeout("read timed out")},
    "bad json": {"body": "{not json", "content_type": "application/json"},
    "not a jwks": {"json": ["keys"]},
    "keys not a list": {"json": {"keys": {"kid": "a"}}},
    "empty set": {"json": {"keys": []}},
    "no usable key": {"json": {"keys": [{"kty": "RSA", "kid": "a", "n": "!!", "e": "AQAB"}]}},
}


@pytest.mark.parametrize("failure", FAILED_RESPONSES.values(), ids=FAILED_RESPONSES.keys())
def test_a_failed_refresh_keeps_the_old_keys(http, clock, caplog, failure):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")
    serve(http, **failure)
    clock.advance(TTL)

    with caplog.at_level(logging.WARNING, logger="partner_api.auth.jwks"):
        assert cache.find("a").kid == "a"

    assert cache.fetch_count == 2
    assert "JWKS refresh from https://keys.example.test/.well-known/jwks failed" in caplog.text
    assert rsa_key("a").as_dict()["n"] not in caplog.text


def test_after_a_failed_refresh_retries_wait_for_the_cooldown(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")
    serve(http, status=500)
    clock.advance(TTL)
    cache.find("a")

    clock.advance(COOLDOWN - 1)
    assert cache.find("a") is not None
    assert cache.find("forged") is None
    assert cache.fetch_count == 2

    serve(http, json=jwks("b"))
    clock.advance(1)
    assert cache.find("b") is not None
    assert cache.fetch_count == 3


@pytest.mark.parametrize("failure", FAILED_RESPONSES.values(), ids=FAILED_RESPONSES.keys())
def test_lookup_raises_when_no_keys_were_ever_loaded(http, clock, failure):
    serve(http, **failure)
    cache = make_cache(clock)

    with pytest.raises(JwksError):
        cache.find("a")
    assert cache.fetch_count == 1


def test_never_loaded_cache_retries_only_after_the_cooldown(http, clock):
    serve(http, status=500)
    cache = make_cache(clock)
    with pytest.raises(JwksError, match="HTTP status 500"):
        cache.find("a")

    serve(http, json=jwks("a"))
    clock.advance(COOLDOWN - 1)
    with pytest.raises(JwksError):
        cache.find("a")
    assert cache.fetch_count == 1

    clock.advance(1)
    assert cache.find("a") is not None
    assert cache.fetch_count == 2


def test_has_keys_fetches_a_first_key_set_and_then_asks_nothing(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)

    assert cache.has_keys() and cache.has_keys()
    assert cache.fetch_count == 1


def test_has_keys_is_false_until_a_key_set_could_be_fetched(http, clock):
    serve(http, status=500)
    cache = make_cache(clock)
    assert not cache.has_keys()
    assert not cache.has_keys()  # within the cooldown: no second fetch
    assert cache.fetch_count == 1

    serve(http, json=jwks("a"))
    clock.advance(COOLDOWN)
    assert cache.has_keys()


def test_has_keys_stays_true_on_the_last_good_keys_when_a_refresh_fails(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")
    serve(http, status=500)
    clock.advance(TTL)
    cache.find("a")

    assert cache.has_keys()


def test_invalidate_forces_a_refetch(http, clock):
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")

    cache.invalidate()

    assert cache.find("a") is not None
    assert cache.fetch_count == 2


def write_jwks(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_absolute_file_url(tmp_path, clock):
    path = write_jwks(tmp_path / "jwks.json", jwks("a"))
    cache = make_cache(clock, path.as_uri())

    assert cache.find("a").kid == "a"

    write_jwks(path, jwks("a", "b"))
    clock.advance(1)
    assert cache.find("b").kid == "b"
    assert cache.fetch_count == 2


def test_relative_file_url(tmp_path, clock, monkeypatch):
    write_jwks(tmp_path / "jwks.json", jwks("a"))
    monkeypatch.chdir(tmp_path)

    assert make_cache(clock, "file:jwks.json").find("a").kid == "a"


@pytest.mark.parametrize("content", ["{broken", None], ids=["bad json", "missing file"])
def test_unreadable_file_raises_when_never_loaded(tmp_path, clock, content):
    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(JwksError):
        make_cache(clock, path.as_uri()).find("a")


@pytest.mark.parametrize(
    "url", ["ftp://keys.example.test/jwks", "keys.example.test/jwks", "file://otherhost/jwks"]
)
def test_unsupported_urls_are_refused(url):
    with pytest.raises(ValueError):
        JwksCache(url)


def short_rsa_jwk(kid: str) -> dict[str, Any]:
    """A well-formed RSA JWK with a 1024-bit modulus (too short to trust)."""
    n = (1 << 1023) | secrets.randbits(1023) | 1
    return {"kty": "RSA", "kid": kid, "n": b64url(n.to_bytes(128, "big")), "e": "AQAB"}


def test_only_rsa_signature_keys_with_a_kid_are_kept(http, clock):
    rsa_jwk = public_jwks(rsa_key("a"))["keys"][0]
    without_use = {k: v for k, v in public_jwks(rsa_key("b"))["keys"][0].items() if k != "use"}
    serve(
        http,
        json={
            "keys": [
                rsa_jwk,
                without_use,
                {**public_jwks(rsa_key("c"))["keys"][0], "use": "enc"},
                {**public_jwks(rsa_key("e"))["keys"][0], "kty": "EC", "kid": "ec-with-n"},
                {k: v for k, v in public_jwks(rsa_key("d"))["keys"][0].items() if k != "kid"},
                ECKey.generate_key("P-256", parameters={"kid": "ec"}, private=False).as_dict(),
                OctKey.generate_key(256, parameters={"kid": "oct"}).as_dict(),
                {"kty": "OKP-PQ", "kid": "future"},
                short_rsa_jwk("short"),
                "not an object",
            ]
        },
    )
    cache = make_cache(clock)

    assert cache.find("a").kid == "a"
    assert cache.find("b").kid == "b"
    for kid in ("c", "d", "ec-with-n", "ec", "oct", "future", "short"):
        assert cache.find(kid) is None, kid
    assert cache.fetch_count == 2  # the first miss refetched once


def test_private_members_of_a_published_key_are_dropped(http, clock):
    serve(http, json={"keys": [rsa_key("a").as_dict(private=True)]})

    key = make_cache(clock).find("a")

    assert not key.is_private
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key.as_dict())


def test_duplicate_kids_keep_the_first_key(http, clock):
    first = public_jwks(rsa_key("a"))["keys"][0]
    second = {**public_jwks(rsa_key("b"))["keys"][0], "kid": "a"}
    serve(http, json={"keys": [first, second]})

    assert make_cache(clock).find("a").as_dict()["n"] == first["n"]


def test_logged_url_omits_credentials_and_query(http, clock, caplog):
    url = "https://user:hunter2@keys.example.test/jwks?token=s3cret"
    http.add(responses.GET, url, status=500)

    with caplog.at_level(logging.WARNING, logger="partner_api.auth.jwks"), pytest.raises(JwksError):
        make_cache(clock, url).find("a")

    assert "https://keys.example.test/jwks failed" in caplog.text
    assert "hunter2" not in caplog.text
    assert "s3cret" not in caplog.text


def refreshes(outcome: str) -> float:
    labels = {"outcome": outcome}
    return REGISTRY.get_sample_value("partner_api_jwks_refreshes_total", labels) or 0.0


def test_refreshes_are_counted_by_outcome(http, clock):
    ok, failed = refreshes("ok"), refreshes("error")
    serve(http, json=jwks("a"))
    cache = make_cache(clock)
    cache.find("a")
    clock.advance(TTL)
    serve(http, status=503)
    cache.find("a")  # the stale keys keep serving
    clock.advance(COOLDOWN)
    serve(http, json={"keys": []})
    cache.find("a")

    assert (refreshes("ok"), refreshes("error")) == (ok + 1, failed + 2)
    assert cache.fetch_count == 3
