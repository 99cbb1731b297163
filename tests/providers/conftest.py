"""Fixtures of the provider tests: the cluster the `postgres` provider's tests run on."""

from __future__ import annotations

import pytest

from tests.providers import pg_cluster


@pytest.fixture(scope="module")
def admin_url() -> str:
    """An admin URL of a cluster that answers (TEST_DATABASE_URL's server, else the machine's
    at 127.0.0.1:5432); the test is skipped without one."""
    url = pg_cluster.admin_url()
    if not pg_cluster.answers(url):
        pytest.skip(
            f"no PostgreSQL server answers at {pg_cluster.where(url)}: "
            "set TEST_DATABASE_URL to a server the tests may create databases and roles on"
        )
    return url
