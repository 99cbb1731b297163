"""The seeded world the fuzz tests call into (see `tests/fuzz/world.py`)."""

from __future__ import annotations

import pytest
import responses

from tests.fuzz.world import World, stub_vercel


@pytest.fixture
def world(app, client, vercel):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as vercel_api:
        stub_vercel(vercel_api, app.config["VERCEL_API_URL"])
        yield World(app, client, vercel).seed()
