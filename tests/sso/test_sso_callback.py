"""The Redirect Login URL: code exchange (V17), id_token verification, session, landing page."""

from __future__ import annotations

import logging

import pytest
import requests

from partner_api.auth import devkeys
from tests.conftest import CLIENT_ID, CLIENT_SECRET, INSTALLATION_ID, ISSUER
from tests.forgery import hs256_with_public_key, unsigned_token
from tests.sso.conftest import provision
from tests.sso.helpers import (
    CODE,
    SSO_ACCESS_TOKEN,
    STATE,
    callback_query,
    session_of,
    sign_in,
)

OTHER_INSTALLATION = "icfg_other00000000000000000001"


def test_sign_in_exchanges_the_code_and_starts_a_session(app, client, sso, installed):
    token = sso.answer(user_name="Ada Lovelace", user_email="ada@acme.test")

    response = client.get("/sso/callback", query_string=callback_query())

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert sso.exchanges == [
        {
            "code": CODE,
            "state": STATE,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "authorization_code",
        }
    ]
    stored = session_of(app, client)
    assert {key: stored[key] for key in ("installation_id", "user_id", "user_role")} == {
        "installation_id": INSTALLATION_ID,
        "user_id": devkeys.DEV_USER_ID,
        "user_role": "ADMIN",
    }
    assert stored["user_name"] == "Ada Lovelace"
    assert stored["user_email"] == "ada@acme.test"
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    for secret in (token, SSO_ACCESS_TOKEN, CODE):
        assert secret not in cookie
        assert secret not in repr(stored)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Ada Lovelace" in page.get_data(as_text=True)


def test_the_callback_alias_signs_in_too(app, client, sso, installed):
    sso.answer()
    response = client.get("/callback", query_string=callback_query())
    assert response.headers["Location"] == "/dashboard"
    assert session_of(app, client)["installation_id"] == INSTALLATION_ID


def test_the_session_cookie_is_http_only_lax_and_short_lived(app, client, sso, installed):
    sign_in(client, sso)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    lifetime = cookie.expires.timestamp() - session_of(app, client)["signed_in_at"]
    assert 8 * 3600 - 5 <= lifetime <= 8 * 3600 + 5


@pytest.mark.parametrize(
    ("context", "location"),
    [
        ({"invoice_id": "inv_123"}, "/dashboard/invoices#invoice-inv_123"),
        ({"path": "billing"}, "/dashboard/invoices"),
        ({"path": "usage"}, "/dashboard#resources"),
        ({"path": "secrets"}, "/dashboard#resources"),
        ({"path": "onboarding"}, "/dashboard#onboarding"),
        ({"path": "support"}, "/dashboard#support"),
        ({"support": "1"}, "/dashboard#support"),
        ({"path": "elsewhere"}, "/dashboard"),
        ({"url": "/dashboard/invoices?page=2"}, "/dashboard/invoices?page=2"),
        ({"resource_id": "res_unknown"}, "/dashboard"),
        ({"product_id": "demo", "project_id": "prj_1", "check_id": "chk_1"}, "/dashboard"),
    ],
)
def test_the_context_picks_the_landing_page(client, sso, installed, context, location):
    assert sign_in(client, sso, **context).headers["Location"] == location


def test_a_resource_of_the_installation_opens_its_page(client, sso, resource):
    resource_id = resource["id"]
    response = sign_in(client, sso, resource_id=resource_id, path="secrets")
    assert response.headers["Location"] == f"/dashboard/resources/{resource_id}#secrets"
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_resource_of_another_installation_opens_the_overview(client, sso, vercel, installed):
    from tests.conftest import upsert_body

    client.put(
        f"/v1/installations/{OTHER_INSTALLATION}",
        json=upsert_body(),
        headers=vercel.user(OTHER_INSTALLATION),
    )
    foreign = provision(client, vercel, OTHER_INSTALLATION)
    assert sign_in(client, sso, resource_id=foreign["id"]).headers["Location"] == "/dashboard"


@pytest.mark.parametrize(
    "url",
    [
        "//evil.example/",
        "///evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,hello",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "https://docs.partner.example.evil.example/",
        "https://docs.partner.example@evil.example/",
        "http://docs.partner.example/",
        "https://docs.partner.example:8443/",
        "dashboard/invoices",
        "https:/evil.example",
    ],
)
def test_an_untrusted_url_lands_on_the_overview(app_with, sso, installed, url):
    client = app_with(SSO_ALLOWED_REDIRECT_ORIGINS="https://docs.partner.example").test_client()
    assert sign_in(client, sso, url=url).headers["Location"] == "/dashboard"


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.partner.example/guide?step=2",
        "https://docs.partner.example:443/guide",
        "https://partner.example/vercel/dashboard/invoices",
    ],
)
def test_a_url_on_an_allowed_origin_is_followed(app_with, sso, installed, url):
    client = app_with(
        SSO_ALLOWED_REDIRECT_ORIGINS="https://docs.partner.example",
        PUBLIC_URL="https://partner.example/vercel",
    ).test_client()
    assert sign_in(client, sso, url=url).headers["Location"] == url


def test_a_bad_allowed_origin_stops_start_up(app_with):
    with pytest.raises(SystemExit, match="SSO_ALLOWED_REDIRECT_ORIGINS"):
        app_with(SSO_ALLOWED_REDIRECT_ORIGINS="https://ok.example, https://bad.example/path")


def assert_refused(app, client, response, status: int, *secrets: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    for secret in (CLIENT_SECRET, CODE, *secrets):
        assert secret not in body
    assert session_of(app, client) is None


def refusing_tokens(vercel, signing_key) -> dict[str, str]:
    """Name → an id_token the callback must refuse (401)."""
    claims = devkeys.user_claims(installation_id=INSTALLATION_ID, issuer=ISSUER, audience=CLIENT_ID)
    return {
        "other key, same kid": devkeys.sign_token(
            devkeys.generate_signing_key(signing_key.kid), claims
        ),
        "alg none": unsigned_token(claims, signing_key.kid),
        "HS256 with the public key": hs256_with_public_key(claims, signing_key),
        "expired": vercel.user_token(iat=1_700_000_000, exp=1_700_000_600),
        "other audience": vercel.user_token(aud="oac_someone_else"),
        "other issuer": vercel.user_token(iss="https://evil.example"),
        "system token": vercel.system_token(),
        "not a JWT": "not-a-token",
    }


@pytest.mark.parametrize(
    "name",
    [
        "other key, same kid",
        "alg none",
        "HS256 with the public key",
        "expired",
        "other audience",
        "other issuer",
        "system token",
        "not a JWT",
    ],
)
def test_an_id_token_that_fails_verification_is_refused(
    app, client, sso, vercel, signing_key, installed, name
):
    token = refusing_tokens(vercel, signing_key)[name]
    sso.answer_with(json={"id_token": token, "access_token": None, "token_type": None})
    response = client.get("/sso/callback", query_string=callback_query())
    assert_refused(app, client, response, 401, token)


def test_an_uninstalled_installation_cannot_sign_in(app, client, sso, vercel, installed):
    client.delete(f"/v1/installations/{INSTALLATION_ID}", headers=vercel.user())
    response = sign_in(client, sso)
    assert_refused(app, client, response, 403)


def test_an_unknown_installation_cannot_sign_in(app, client, sso, installed):
    sso.answer(installation_id=OTHER_INSTALLATION)
    response = client.get("/sso/callback", query_string=callback_query())
    assert_refused(app, client, response, 403)


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ({"status": 400, "json": {"error": {"code": "invalid_grant", "message": "bad"}}}, 401),
        ({"status": 403, "json": {"error": {"code": "forbidden", "message": "no"}}}, 401),
        ({"status": 404, "body": "not here"}, 401),
        ({"status": 500, "json": {"error": {"code": "internal"}}}, 502),
        ({"json": {"access_token": "x"}}, 502),
        ({"body": requests.ConnectionError("refused")}, 502),
    ],
    ids=["400", "403", "404", "500", "no id_token", "unreachable"],
)
def test_a_failed_exchange_is_refused(app, client, sso, installed, reply, status):
    sso.answer_with(**reply)
    response = client.get("/sso/callback", query_string=callback_query())
    assert_refused(app, client, response, status)


@pytest.mark.parametrize(
    "query",
    [
        {"code": CODE, "state": STATE},
        {"mode": "login", "code": CODE, "state": STATE},
        {"mode": "sso", "state": STATE},
        {"mode": "sso", "code": CODE},
        {"mode": "sso", "code": "", "state": STATE},
        {"mode": "sso", "code": "c" * 5000, "state": STATE},
    ],
    ids=["no mode", "other mode", "no code", "no state", "empty code", "huge code"],
)
def test_an_incomplete_link_is_refused_without_an_exchange(app, client, sso, installed, query):
    response = client.get("/sso/callback", query_string=query)
    assert_refused(app, client, response, 400)
    assert sso.exchanges == []


def test_a_refused_sign_in_ends_the_previous_session(app, client, sso, installed):
    sign_in(client, sso)
    assert session_of(app, client) is not None
    sso.answer_with(status=400, json={"error": {"code": "invalid_grant"}})
    response = client.get("/sso/callback", query_string=callback_query())
    assert_refused(app, client, response, 401)
    assert client.get("/dashboard").status_code == 401


def test_sign_in_logs_neither_tokens_nor_the_code(client, sso, installed, caplog):
    caplog.set_level(logging.DEBUG)
    accepted = sso.answer()
    client.get("/sso/callback", query_string=callback_query())
    refused = sso.answer(aud="oac_someone_else")
    client.get("/sso/callback", query_string=callback_query())
    assert "dashboard sign-in" in caplog.text
    assert "SSO id_token refused: invalid_audience" in caplog.text
    for secret in (CODE, STATE, CLIENT_SECRET, SSO_ACCESS_TOKEN, accepted, refused):
        assert secret not in caplog.text


@pytest.mark.parametrize("status", [400, 403, 404])
def test_a_made_up_code_refused_by_vercel_logs_nothing_above_info(
    client, sso, installed, caplog, status
):
    caplog.set_level(logging.DEBUG)
    sso.answer_with(status=status, json={"error": {"code": "invalid_grant", "message": "no"}})

    assert client.get("/sso/callback", query_string=callback_query()).status_code == 401
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.INFO] == []


def test_an_outage_at_vercel_during_sign_in_is_a_warning(client, sso, installed, caplog):
    sso.answer_with(status=500, json={"error": {"code": "internal"}})

    assert client.get("/sso/callback", query_string=callback_query()).status_code == 502
    assert [r.levelno for r in caplog.records if "code exchange" in r.getMessage()] == [
        logging.WARNING
    ]


def test_a_sign_in_for_an_unknown_installation_logs_nothing_above_info(
    client, sso, installed, caplog
):
    caplog.set_level(logging.DEBUG)
    sso.answer(installation_id=OTHER_INSTALLATION)

    assert client.get("/sso/callback", query_string=callback_query()).status_code == 403
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.INFO] == []
