"""Settings read from the environment (12-factor), one class per profile.

`PARTNER_API_ENV` picks the profile: `production` (the default, what gunicorn runs),
`development` (the quickstart: embedded SQLite, a local key set, fixed dev secrets) or
`testing` (used by the test suite, which passes its own overrides).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_ISSUER = "https://marketplace.vercel.com"
DEFAULT_JWKS_URL = "https://marketplace.vercel.com/.well-known/jwks"
DEFAULT_API_URL = "https://api.vercel.com"

# A fixed, public Fernet key: development and tests only, never accepted in production.
DEVELOPMENT_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk="
# Database URLs the server has a driver for (SQLAlchemy backend → accepted drivers).
DATABASE_DRIVERS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}
# The development profile's stand-ins for secrets; public, so production refuses them.
DEVELOPMENT_SECRETS = {
    "INTEGRATION_CLIENT_SECRET": "development-secret",
    "SECRET_KEY": "development-session-key",
    "ENCRYPTION_KEYS": DEVELOPMENT_ENCRYPTION_KEY,
}


def database_url(raw: str | None) -> str | None:
    """Accept Heroku-style `postgres://` URLs and pick the psycopg 3 driver for Postgres."""
    if not raw:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


class Config:
    """Settings shared by every profile; the values come from the environment."""

    ENV_NAME = "production"
    REQUIRED = (
        "INTEGRATION_CLIENT_ID",
        "INTEGRATION_CLIENT_SECRET",
        "SECRET_KEY",
        "ENCRYPTION_KEYS",
    )

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._malformed: list[str] = []
        self.INTEGRATION_CLIENT_ID = env.get("INTEGRATION_CLIENT_ID")
        self.INTEGRATION_CLIENT_SECRET = env.get("INTEGRATION_CLIENT_SECRET")
        self.SECRET_KEY = env.get("SECRET_KEY")
        self.ENCRYPTION_KEYS = env.get("ENCRYPTION_KEYS")
        self.SQLALCHEMY_DATABASE_URI = database_url(env.get("DATABASE_URL"))
        self.VERCEL_OIDC_ISSUER = env.get("VERCEL_OIDC_ISSUER", DEFAULT_ISSUER)
        self.VERCEL_JWKS_URL = env.get("VERCEL_JWKS_URL")
        self.VERCEL_API_URL = env.get("VERCEL_API_URL", DEFAULT_API_URL)
        self.CATALOG_PATH = env.get("CATALOG_PATH")
        self.POSTGRES_PROVIDER_ADMIN_URL = env.get("POSTGRES_PROVIDER_ADMIN_URL")
        self.POSTGRES_PROVIDER_PUBLIC_URL = env.get("POSTGRES_PROVIDER_PUBLIC_URL")
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO").strip().upper()
        # Observability: the bearer token that opens /metrics (unset: no such route), and
        # where errors are reported (unset: nowhere); see partner_api/metrics, errorreporting.
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "").strip() or None
        self.SENTRY_DSN = env.get("SENTRY_DSN", "").strip() or None
        # hide_parameters: database errors (which may reach logs and job errors) carry no values.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
        # A pooled connection idle this long is pinged before use (partner_api/dbpool.py).
        self.DATABASE_PING_AFTER_IDLE_SECONDS = self._seconds(
            env, "DATABASE_PING_AFTER_IDLE_SECONDS", 10.0
        )
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        self.JWT_LEEWAY_SECONDS = 60
        self.IDEMPOTENCY_WAIT_SECONDS = 10.0
        # A claim lasts this long unless its request renews it (partner_api/idempotency/leases.py).
        self.IDEMPOTENCY_LEASE_SECONDS = 30
        self.IDEMPOTENCY_RETENTION_HOURS = 48
        # What an overdue invoice does: `notify` (a notification) or `suspend` (that, and a
        # suspension of the installation); see partner_api/webhooks/dunning.py.
        self.WEBHOOK_OVERDUE_POLICY = env.get("WEBHOOK_OVERDUE_POLICY", "notify")
        # The partner dashboard, reached through Vercel SSO (partner_api/sso).
        self.PUBLIC_URL = env.get("PUBLIC_URL")
        # Comma-separated origins (`https://docs.example.com`) an SSO `url` may lead to;
        # empty: only paths on this server.
        self.SSO_ALLOWED_REDIRECT_ORIGINS = env.get("SSO_ALLOWED_REDIRECT_ORIGINS", "")
        self.VERCEL_INTEGRATION_SLUG = env.get("VERCEL_INTEGRATION_SLUG")
        self.SESSION_COOKIE_SECURE = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # An absolute lifetime: the cookie is not renewed on every request.
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
        self.SESSION_REFRESH_EACH_REQUEST = False
        self.apply_profile_defaults()

    def apply_profile_defaults(self) -> None:
        """Fill in what a profile may default; production defaults nothing secret."""
        self.VERCEL_JWKS_URL = self.VERCEL_JWKS_URL or DEFAULT_JWKS_URL

    def _seconds(self, env: Mapping[str, str], name: str, default: float) -> float:
        raw = env.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not 0 <= value < math.inf:
            self._malformed.append(f"{name} must be a number of seconds, 0 or more")
            return default
        return value

    def problems(self) -> list[str]:
        """Settings that are set but unusable; each names its variable, never its value."""
        found = list(self._malformed)
        if self.LOG_LEVEL not in logging.getLevelNamesMapping():
            found.append("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL")
        if self.ENCRYPTION_KEYS and not _fernet_keys(self.ENCRYPTION_KEYS):
            found.append(
                "ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes)"
            )
        if problem := _database_problem(self.SQLALCHEMY_DATABASE_URI):
            found.append(problem)
        for name, schemes in (
            ("VERCEL_JWKS_URL", ("https", "http", "file")),
            ("VERCEL_API_URL", ("https", "http")),
        ):
            if not _url_with_scheme(getattr(self, name), schemes):
                found.append(f"{name} must be a {' or '.join(f'{s}://' for s in schemes)} URL")
        return found


def _fernet_keys(value: str) -> bool:
    keys = [key.strip() for key in value.split(",") if key.strip()]
    try:
        return bool(keys) and all(Fernet(key) for key in keys)
    except (ValueError, TypeError):
        return False


def _database_problem(url: str | None) -> str | None:
    if url is None:
        return None
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "DATABASE_URL is not a database URL (postgresql://user:password@host/name)"
    drivers = DATABASE_DRIVERS.get(parsed.get_backend_name())
    if drivers is None or parsed.get_driver_name() not in drivers:
        return "DATABASE_URL must name a Postgres (postgresql://) or SQLite (sqlite://) database"
    return None


def _url_with_scheme(url: str | None, schemes: tuple[str, ...]) -> bool:
    if url is None:
        return True
    parts = urlsplit(url)
    return parts.scheme in schemes and (parts.scheme == "file" or bool(parts.hostname))


class ProductionConfig(Config):
    """Fails closed: no database defaults to a local file (a dyno's disk is wiped on restart
    and differs on every dyno), and SQLite runs only when `ALLOW_SQLITE_IN_PRODUCTION=1`."""

    ENV_NAME = "production"

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        super().__init__(environ)
        env = os.environ if environ is None else environ
        self.ALLOW_SQLITE_IN_PRODUCTION = env.get("ALLOW_SQLITE_IN_PRODUCTION", "") == "1"

    def problems(self) -> list[str]:
        public = [name for name in DEVELOPMENT_SECRETS if self._holds_development_value(name)]
        found = super().problems()
        if public:
            found.append(f"{', '.join(public)} must not hold the public development value")
        found.extend(self._database_problems())
        return found

    def _database_problems(self) -> list[str]:
        url = self.SQLALCHEMY_DATABASE_URI
        if not url:
            return ["DATABASE_URL is required in production (a Postgres URL)"]
        if url.startswith("sqlite") and not self.ALLOW_SQLITE_IN_PRODUCTION:
            return [
                "DATABASE_URL names SQLite, which production runs only with "
                "ALLOW_SQLITE_IN_PRODUCTION=1 (one process, one disk that persists)"
            ]
        return []

    def _holds_development_value(self, name: str) -> bool:
        value = getattr(self, name) or ""
        if name == "ENCRYPTION_KEYS":  # not even as an old key: anyone could forge with it
            return DEVELOPMENT_ENCRYPTION_KEY in (key.strip() for key in value.split(","))
        return value == DEVELOPMENT_SECRETS[name]


class DevelopmentConfig(Config):
    """The quickstart: everything local, dev-only secrets, tokens from `flask dev token`."""

    ENV_NAME = "development"

    def apply_profile_defaults(self) -> None:
        self.INTEGRATION_CLIENT_ID = self.INTEGRATION_CLIENT_ID or "oac_development"
        for name, stand_in in DEVELOPMENT_SECRETS.items():
            setattr(self, name, getattr(self, name) or stand_in)
        self.SESSION_COOKIE_SECURE = False  # served over plain http on localhost
        # Left unset, the app uses the local key set that `flask dev keys` writes into the
        # instance folder, so dev tokens verify through the real verification code.


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True


PROFILES: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}


def load(environ: dict[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    name = env.get("PARTNER_API_ENV", "production")
    try:
        profile = PROFILES[name]
    except KeyError:
        raise SystemExit(
            f"PARTNER_API_ENV={name!r} is not a profile; use one of {', '.join(PROFILES)}"
        ) from None
    config = profile(environ)
    problems = config.problems()
    if problems:
        raise SystemExit(f"partner-api ({config.ENV_NAME}) cannot start: {'; '.join(problems)}")
    return config
