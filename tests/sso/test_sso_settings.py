"""The session cookie's settings per profile: Secure everywhere but development and tests."""

from __future__ import annotations

import flask
from flask.sessions import NullSession

from partner_api import settings as config
from tests.sso.helpers import sign_in


def test_profiles_set_the_session_cookie():
    production = config.ProductionConfig({})
    assert production.SESSION_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    assert production.PERMANENT_SESSION_LIFETIME.total_seconds() == 8 * 3600
    assert production.SESSION_REFRESH_EACH_REQUEST is False
    assert config.DevelopmentConfig({}).SESSION_COOKIE_SECURE is False
    assert config.TestingConfig({}).SESSION_COOKIE_SECURE is False


def test_a_production_server_sets_a_secure_cookie(
    monkeypatch, app_settings, app_with, sso, installed
):
    monkeypatch.setenv("PARTNER_API_ENV", "production")
    monkeypatch.setenv("ALLOW_SQLITE_IN_PRODUCTION", "1")  # the test database may be SQLite
    monkeypatch.setenv("DATABASE_URL", app_settings["SQLALCHEMY_DATABASE_URI"])
    client = app_with().test_client()
    response = sign_in(client, sso)
    [cookie] = response.headers.getlist("Set-Cookie")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "expires"} <= attributes
    assert "SameSite=Lax" in cookie


def test_partner_api_calls_leave_the_dashboard_session_unopened(app, client, sso, installed):
    sign_in(client, sso)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    headers = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}

    def session_seen_at(path: str):
        with app.test_request_context(path, headers=headers):
            return flask.session._get_current_object()

    assert isinstance(session_seen_at(f"/v1/installations/{installed}"), NullSession)
    dashboard = session_seen_at("/dashboard/")
    assert not isinstance(dashboard, NullSession)
    assert dashboard["installation_id"] == installed
