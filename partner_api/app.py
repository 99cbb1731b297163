"""The app factory: settings, extensions, blueprints, error handlers and commands, in order."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from partner_api import (
    autocommit,
    catalog,
    commands,
    crypto,
    database_unavailable,
    errorreporting,
    errors,
    health,
    jsonpolicy,
    logs,
    nulchars,
    pathids,
    settings,
    sso,
    startup,
    webhooks,
)
from partner_api.auth import guard
from partner_api.catalog.loader import CatalogError
from partner_api.crypto import EncryptionKeysError
from partner_api.dbpool import ping_when_idle
from partner_api.extensions import PartnerApi, db, migrate
from partner_api.metrics import endpoint as metrics_endpoint
from partner_api.providers import registry
from partner_api.providers.registry import ProviderSetupError
from partner_api.version import __version__

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment's profile, then apply `overrides` (tests)."""
    startup.install_excepthook()
    app = Flask("partner_api", instance_relative_config=True)
    configure(app, overrides)
    logs.configure_logging(app.config["LOG_LEVEL"])
    errorreporting.init_app(app)
    register_models()
    register_job_handlers()
    try:
        register_extensions(app)
    except (CatalogError, EncryptionKeysError, ProviderSetupError) as error:  # name no secret
        raise SystemExit(f"partner-api cannot start: {error}") from None
    register_blueprints(app)
    errors.register_errorhandlers(app)
    database_unavailable.register_errorhandler(app)
    commands.register(app)
    return app


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    profile = settings.load()
    app.config.from_object(profile)
    app.config.update(overrides or {})
    missing = [name for name in profile.REQUIRED if not app.config.get(name)]
    if missing:
        raise SystemExit(
            f"partner-api ({profile.ENV_NAME}) cannot start: set {', '.join(missing)} "
            "in the environment (see the README's configuration table)"
        )
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        database = Path(app.instance_path) / "partner-api.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    app.config.update(
        API_TITLE="partner-api",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "info": {"description": "Vercel Marketplace Partner API, as served by partner-api."},
            "security": [{"vercelOidc": []}],
            "components": {
                "securitySchemes": {
                    "vercelOidc": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "An OIDC token signed by Vercel; `X-Vercel-Auth` "
                        "names its kind (user or system).",
                    }
                }
            },
        },
    )


def register_extensions(app: Flask) -> None:
    jsonpolicy.init_app(app)
    crypto.init_app(app)
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_when_idle(engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
    autocommit.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    catalog.init_app(app)
    registry.init_app(app)
    guard.init_app(app)
    logs.init_app(app)


def register_models() -> None:
    """Import every model module, so metadata (and Alembic) sees all tables."""
    from partner_api.billing import models as _billing  # noqa: F401
    from partner_api.billing import usage_models as _usage  # noqa: F401
    from partner_api.idempotency import models as _idempotency  # noqa: F401
    from partner_api.installations import credential_models as _credentials  # noqa: F401
    from partner_api.installations import member_models as _members  # noqa: F401
    from partner_api.installations import models as _installations  # noqa: F401
    from partner_api.jobs import models as _jobs  # noqa: F401
    from partner_api.resources import models as _resources  # noqa: F401
    from partner_api.transfers import models as _transfers  # noqa: F401
    from partner_api.webhooks import models as _webhooks  # noqa: F401


def register_job_handlers() -> None:
    """Import the modules whose `@job_handler` functions the worker runs."""
    from partner_api.billing import finalization as _finalization  # noqa: F401
    from partner_api.billing import invoicing as _invoicing  # noqa: F401
    from partner_api.billing import refunds as _refunds  # noqa: F401
    from partner_api.billing import submission as _billing  # noqa: F401
    from partner_api.installations import credentials as _credentials  # noqa: F401
    from partner_api.vercel import jobs as _vercel  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from partner_api.billing.purchase_routes import blp as purchases
    from partner_api.billing.routes import blp as plans
    from partner_api.installations.routes import blp as installations
    from partner_api.resources import jobs as _resource_jobs  # noqa: F401 - registers handlers
    from partner_api.resources.routes import blp as resources
    from partner_api.transfers.routes import blp as transfers

    nulchars.use_in_routes(app.url_map)
    pathids.use_in_routes(app)
    app.register_blueprint(health.blueprint)
    metrics_endpoint.init_app(app)
    webhooks.init_app(app)
    sso.init_app(app)
    api = PartnerApi(app)
    for blueprint in (installations, resources, plans, purchases, transfers):
        api.register_blueprint(blueprint)
