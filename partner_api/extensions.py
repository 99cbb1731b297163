"""Extension singletons, bound to the app in `create_app`.

The flask-smorest `Api` is the exception: it keeps one OpenAPI document per instance, so
`create_app` builds a `PartnerApi` for each app.
"""

from __future__ import annotations

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from partner_api import errors

# Stable constraint names, so Alembic migrations can alter them on SQLite and Postgres alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PartnerApi(Api):
    """flask-smorest's Api, answering every HTTP error with the contract's envelope."""

    ERROR_SCHEMA = errors.ErrorEnvelopeSchema

    def handle_http_exception(self, error):
        return errors.http_exception_response(error)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
