"""Alembic environment, run through Flask-Migrate (`flask --app wsgi db upgrade`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

config = context.config
if config.config_file_name is not None:
    # Keep the app's own (JSON) loggers working after a migration run in-process.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", database.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def render_item(kind, value, autogen_context):
    """Write the app's column types as their storage types, so migrations stand alone."""
    if kind == "type" and isinstance(value, TypeDecorator):
        return f"sa.{value.impl_instance!r}"
    return False


def skip_empty_autogenerate(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("no changes in schema detected")


OPTIONS = {
    "target_metadata": database.metadata,
    "render_as_batch": True,
    "compare_type": True,
    "render_item": render_item,
    "process_revision_directives": skip_empty_autogenerate,
}


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with database.engine.connect() as connection:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
