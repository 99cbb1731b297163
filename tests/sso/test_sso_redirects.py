"""The redirect rules on their own: origins, the allow-list and what counts as this server."""

from __future__ import annotations

import pytest

from partner_api.sso.redirects import configured_origins, origin_of, parse_origins, safe_target

ALLOWED = frozenset({"https://docs.partner.example", "http://localhost:3000"})


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Docs.Partner.Example/x", "https://docs.partner.example"),
        ("HTTPS://docs.partner.example:443", "https://docs.partner.example"),
        ("http://docs.partner.example:80/", "http://docs.partner.example"),
        ("http://localhost:3000/a?b#c", "http://localhost:3000"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
        ("https://user@docs.partner.example/", None),
        ("https://docs.partner.example:99999/", None),
        ("ftp://docs.partner.example/", None),
        ("/relative", None),
        ("https:///no-host", None),
    ],
)
def test_origin_of(url, origin):
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("url", "followed"),
    [
        ("/dashboard", True),
        ("/dashboard/resources/res_1?x=1#secrets", True),
        ("/", True),
        ("https://docs.partner.example/guide", True),
        ("http://localhost:3000/", True),
        ("//docs.partner.example/guide", False),
        ("https://docs.partner.example\\@evil.example/", False),
        ("/a\\b", False),
        ("/a b", False),
        ("/a\x7fb", False),
        ("https://evil.example/", False),
        ("vbscript:x", False),
        ("", False),
        ("/" + "a" * 2048, False),
    ],
)
def test_safe_target(url, followed):
    assert safe_target(url, ALLOWED) == (url if followed else None)


def test_parse_origins_normalizes_and_skips_blanks():
    assert parse_origins(" https://A.example , ,http://b.example:8080/ ") == {
        "https://a.example",
        "http://b.example:8080",
    }
    assert parse_origins("") == frozenset()
    assert parse_origins(None) == frozenset()


@pytest.mark.parametrize(
    "raw", ["https://a.example/path", "a.example", "https://a.example?x=1", "javascript:x"]
)
def test_parse_origins_refuses_what_is_not_an_origin(raw):
    with pytest.raises(ValueError, match="is not an origin"):
        parse_origins(raw)


def test_public_url_adds_its_own_origin():
    origins = configured_origins("https://docs.example", "https://partner.example/vercel")
    assert origins == {"https://docs.example", "https://partner.example"}
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        configured_origins("", "partner.example")
