"""What an error report may carry: no token, secret, body, cookie, query or claim."""

from __future__ import annotations

from partner_api.redaction import FILTERED, scrub, scrub_event, scrub_text

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def test_jwts_and_bearer_credentials_are_cut_out_of_any_text():
    assert scrub_text(f"token {JWT} refused") == f"token {FILTERED} refused"
    assert scrub_text("Authorization: Bearer opaque-123") == f"Authorization: Bearer {FILTERED}"
    assert scrub_text("bearer\topaque") == f"bearer\t{FILTERED}"
    assert scrub_text("a JSON Web Token has three parts") == "a JSON Web Token has three parts"


def test_values_under_secret_names_are_replaced_at_any_depth():
    value = {
        "outer": [
            {"access_token": "t1", "id_token": "t2", "client_secret": "s", "kind": "ok"},
            ("x", {"Authorization": "Basic abc", "claims": {"user_id": "u"}}),
        ],
        "Cookie": "session=1",
        "X-Vercel-Signature": "sig",
        "password": "p",
        "SENTRY_DSN": "https://key@host/1",
        7: f"{JWT}",
    }
    assert scrub(value) == {
        "outer": [
            {"access_token": FILTERED, "id_token": FILTERED, "client_secret": FILTERED,
             "kind": "ok"},
            ["x", {"Authorization": FILTERED, "claims": FILTERED}],
        ],
        "Cookie": FILTERED,
        "X-Vercel-Signature": FILTERED,
        "password": FILTERED,
        "SENTRY_DSN": FILTERED,
        7: FILTERED,
    }


def test_an_events_request_keeps_only_method_url_and_headers():
    event = {
        "request": {
            "method": "POST",
            "url": "https://p.example/sso/callback?code=one-time&state=s",
            "query_string": "code=one-time&state=s",
            "data": {"credentials": {"access_token": "t"}},
            "cookies": {"session": "c"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
            "headers": {"Authorization": f"Bearer {JWT}", "User-Agent": "Vercel"},
        },
        "level": "error",
    }
    assert scrub_event(event) == {
        "request": {
            "method": "POST",
            "url": "https://p.example/sso/callback",
            "headers": {"Authorization": FILTERED, "User-Agent": "Vercel"},
        },
        "level": "error",
    }


def test_a_log_message_is_formatted_again_from_its_scrubbed_arguments():
    entry = {"message": "refresh for %s failed: %s", "params": ["icfg_1", {"id_token": "t"}],
             "formatted": "refresh for icfg_1 failed: {'id_token': 't'}"}
    assert scrub_event({"logentry": entry})["logentry"] == {
        "message": "refresh for %s failed: %s",
        "params": ["icfg_1", {"id_token": FILTERED}],
        "formatted": f"refresh for icfg_1 failed: {{'id_token': '{FILTERED}'}}",
    }
    lone = {"message": "100% done, token t", "params": [], "formatted": "100% done, token t"}
    assert scrub_event({"logentry": lone})["logentry"]["formatted"] == "100% done, token t"
    mismatched = {"message": "%s and %s", "params": ["one"], "formatted": "secret"}
    assert scrub_event({"logentry": mismatched})["logentry"]["formatted"] == "%s and %s"
