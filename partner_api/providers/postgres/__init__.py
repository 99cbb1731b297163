"""The built-in `postgres` provider: a database and login roles per resource on a cluster."""

from partner_api.providers.postgres.provider import PostgresProvider

__all__ = ["PostgresProvider"]
