"""An app with METRICS_TOKEN set, and a scrape of its `/metrics`."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from partner_api import create_app
from partner_api.extensions import db

TOKEN = "metrics-token-7d1c"


@pytest.fixture
def metered(app, app_settings):
    """A client of an app with METRICS_TOKEN set, on the test database `app` empties."""
    served = create_app({**app_settings, "METRICS_TOKEN": TOKEN})
    yield served.test_client()
    with served.app_context():
        db.engine.dispose()


def scrape(client) -> dict[str, list]:
    """Family name → samples of one authorized scrape."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    return {family.name: family.samples for family in text_string_to_metric_families(text)}
