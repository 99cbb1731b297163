"""Settings from the environment: profiles, required values, and refusals that name the
variable but never echo a secret."""

from __future__ import annotations

import logging
import traceback

import pytest
from cryptography.fernet import Fernet

from partner_api import create_app
from partner_api import settings as config
from tests.conftest import ENCRYPTION_KEY

SETTINGS = (
    "PARTNER_API_ENV",
    "INTEGRATION_CLIENT_ID",
    "INTEGRATION_CLIENT_SECRET",
    "SECRET_KEY",
    "ENCRYPTION_KEYS",
    "DATABASE_URL",
    "VERCEL_OIDC_ISSUER",
    "VERCEL_JWKS_URL",
    "VERCEL_API_URL",
    "CATALOG_PATH",
    "POSTGRES_PROVIDER_ADMIN_URL",
    "POSTGRES_PROVIDER_PUBLIC_URL",
    "LOG_LEVEL",
    "ALLOW_SQLITE_IN_PRODUCTION",
)
PRODUCTION_SECRETS = {
    "INTEGRATION_CLIENT_ID": "oac_Production0001",
    "INTEGRATION_CLIENT_SECRET": "client-secret-do-not-print",
    "SECRET_KEY": "session-key-do-not-print",
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


@pytest.fixture
def environ(monkeypatch, tmp_path):
    """A clean process environment; returns a function that sets variables in it."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'config.sqlite3'}")
    monkeypatch.setenv("ALLOW_SQLITE_IN_PRODUCTION", "1")

    def set_environ(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_environ


def refusal() -> str:
    """The message `create_app` exits with."""
    with pytest.raises(SystemExit) as caught:
        create_app()
    return str(caught.value.code)


# --- production ----------------------------------------------------------------------------


def test_production_is_the_default_profile(environ):
    assert isinstance(config.load({"DATABASE_URL": "postgres://u@db/app"}), config.ProductionConfig)


def test_production_without_settings_names_every_missing_variable(environ):
    environ(PARTNER_API_ENV="production", SECRET_KEY=PRODUCTION_SECRETS["SECRET_KEY"])
    message = refusal()
    for name in ("INTEGRATION_CLIENT_ID", "INTEGRATION_CLIENT_SECRET", "ENCRYPTION_KEYS"):
        assert name in message
    assert "SECRET_KEY" not in message.replace("INTEGRATION_CLIENT_SECRET", "")
    assert PRODUCTION_SECRETS["SECRET_KEY"] not in message


@pytest.mark.parametrize("missing", sorted(PRODUCTION_SECRETS))
def test_production_names_the_one_missing_variable_and_no_value(environ, missing):
    present = {name: value for name, value in PRODUCTION_SECRETS.items() if name != missing}
    environ(PARTNER_API_ENV="production", **present)
    message = refusal()
    assert missing in message
    for value in present.values():
        assert value not in message


def test_production_starts_with_its_settings(environ):
    environ(PARTNER_API_ENV="production", **PRODUCTION_SECRETS)
    app = create_app()
    assert app.config["INTEGRATION_CLIENT_ID"] == "oac_Production0001"
    assert app.config["VERCEL_OIDC_ISSUER"] == "https://marketplace.vercel.com"
    assert app.config["VERCEL_JWKS_URL"] == "https://marketplace.vercel.com/.well-known/jwks"
    assert app.config["VERCEL_API_URL"] == "https://api.vercel.com"
    assert not app.config.get("TESTING")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INTEGRATION_CLIENT_SECRET", "development-secret"),
        ("SECRET_KEY", "development-session-key"),
        ("ENCRYPTION_KEYS", config.DEVELOPMENT_ENCRYPTION_KEY),
        (
            "ENCRYPTION_KEYS",
            f"{PRODUCTION_SECRETS['ENCRYPTION_KEYS']}, {config.DEVELOPMENT_ENCRYPTION_KEY}",
        ),
    ],
    ids=["client_secret", "session_key", "encryption_key", "encryption_key_as_old_key"],
)
def test_production_refuses_the_public_development_secrets(environ, name, value):
    environ(PARTNER_API_ENV="production", **{**PRODUCTION_SECRETS, name: value})
    message = refusal()
    assert name in message
    assert "development" in message
    assert config.DEVELOPMENT_ENCRYPTION_KEY not in message
    assert value not in message


def test_production_without_a_database_url_refuses_to_start(environ, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    environ(PARTNER_API_ENV="production", **PRODUCTION_SECRETS)
    assert refusal() == (
        "partner-api (production) cannot start: DATABASE_URL is required in production "
        "(a Postgres URL)"
    )


@pytest.mark.parametrize("opt_in", [None, "", "0", "yes"])
def test_production_runs_on_sqlite_only_with_the_explicit_opt_in(environ, monkeypatch, opt_in):
    monkeypatch.delenv("ALLOW_SQLITE_IN_PRODUCTION")
    if opt_in is not None:
        monkeypatch.setenv("ALLOW_SQLITE_IN_PRODUCTION", opt_in)
    environ(PARTNER_API_ENV="production", **PRODUCTION_SECRETS)
    message = refusal()
    assert "DATABASE_URL names SQLite" in message
    assert "ALLOW_SQLITE_IN_PRODUCTION=1" in message


def test_production_on_postgres_needs_no_opt_in():
    production = config.load({**PRODUCTION_SECRETS, "DATABASE_URL": "postgres://u@db/app"})
    assert production.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/app"


# --- development and testing -----------------------------------------------------------------


def test_development_defaults_everything_for_a_local_start(environ, tmp_path):
    environ(PARTNER_API_ENV="development")
    settings = config.load()
    assert settings.INTEGRATION_CLIENT_ID == "oac_development"
    assert settings.ENCRYPTION_KEYS == config.DEVELOPMENT_ENCRYPTION_KEY
    assert settings.SECRET_KEY and settings.INTEGRATION_CLIENT_SECRET
    assert settings.VERCEL_JWKS_URL is None  # the local key set of `flask dev keys`
    assert settings.VERCEL_OIDC_ISSUER == "https://marketplace.vercel.com"

    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    verifier = app.extensions["token_verifier"]
    assert verifier.audience == "oac_development"


def test_development_keeps_what_the_environment_sets(environ):
    environ(PARTNER_API_ENV="development", **PRODUCTION_SECRETS)
    settings = config.load()
    for name, value in PRODUCTION_SECRETS.items():
        assert getattr(settings, name) == value


def test_testing_profile_is_development_with_testing_on(environ):
    environ(PARTNER_API_ENV="testing")
    settings = config.load()
    assert isinstance(settings, config.DevelopmentConfig)
    assert settings.TESTING is True


def test_an_unknown_profile_is_refused_with_the_choices(environ):
    environ(PARTNER_API_ENV="staging")
    message = refusal()
    assert "PARTNER_API_ENV='staging'" in message
    for profile in ("production", "development", "testing"):
        assert profile in message


# --- DATABASE_URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg://u:p@db.example:5432/app"),
        ("postgresql://u@db.example/app", "postgresql+psycopg://u@db.example/app"),
        ("postgresql+psycopg://u@db.example/app", "postgresql+psycopg://u@db.example/app"),
        ("sqlite:////var/data/app.sqlite3", "sqlite:////var/data/app.sqlite3"),
    ],
)
def test_database_url_is_rewritten_for_psycopg_3(environ, raw, expected):
    environ(DATABASE_URL=raw)
    rewritten = config.load().SQLALCHEMY_DATABASE_URI
    assert rewritten == expected


def test_without_database_url_the_app_uses_sqlite_in_its_instance_folder(environ, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    assert config.load({"PARTNER_API_ENV": "development"}).SQLALCHEMY_DATABASE_URI is None


# --- ENCRYPTION_KEYS ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [
        "not-a-fernet-key-but-a-secret-0123456789",
        f"{ENCRYPTION_KEY},also-not-a-key-secret-0123456789",
        " , ",
    ],
    ids=["garbage", "one_bad_among_good", "empty_list"],
)
def test_bad_encryption_keys_stop_the_app_without_echoing_them(app_settings, keys):
    with pytest.raises((ValueError, SystemExit)) as caught:
        create_app({**app_settings, "ENCRYPTION_KEYS": keys})
    assert "ENCRYPTION_KEYS" in str(caught.value)
    printed = "".join(traceback.format_exception(caught.value))  # what start-up would show
    for part in keys.split(","):
        if part.strip():
            assert part.strip() not in printed


def test_several_keys_are_accepted_newest_first(app_settings):
    newest = Fernet.generate_key().decode()
    app = create_app({**app_settings, "ENCRYPTION_KEYS": f"{newest}, {ENCRYPTION_KEY}"})
    box = app.extensions["secret_box"]
    stored = box.encrypt("secret")
    assert Fernet(newest.encode()).decrypt(stored.encode()) == b"secret"


# --- LOG_LEVEL ------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["debug", "Warning", " ERROR "])
def test_log_level_is_case_insensitive(environ, level):
    environ(PARTNER_API_ENV="development", LOG_LEVEL=level)
    create_app()
    assert logging.getLogger().level == logging.getLevelNamesMapping()[level.strip().upper()]


def test_an_unknown_log_level_is_refused_by_name(environ):
    environ(PARTNER_API_ENV="development", LOG_LEVEL="chatty")
    message = refusal()
    assert "LOG_LEVEL" in message
    assert "INFO" in message
