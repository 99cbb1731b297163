"""The session cookie's settings per profile: Secure everywhere but development and tests."""

from __future__ import annotations

import config
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


def test_a_production_server_sets_a_secure_cookie(monkeypatch, app_with, sso, installed):
    monkeypatch.setenv("PARTNER_API_ENV", "production")
    client = app_with().test_client()
    response = sign_in(client, sso)
    [cookie] = response.headers.getlist("Set-Cookie")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "expires"} <= attributes
    assert "SameSite=Lax" in cookie
