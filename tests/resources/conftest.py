"""Resources through the Partner API: request bodies, a provisioned resource, stored state."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources as package_files
from typing import Any

import pytest
import responses
from flask import Flask
from sqlalchemy import select

from partner_api import create_app
from partner_api.extensions import db
from partner_api.jobs.models import PENDING, Job
from partner_api.jobs.queue import run_due
from partner_api.resources.models import Resource, SecretVersion
from partner_api.timeutil import utcnow
from tests.conftest import INSTALLATION_ID

EXAMPLE_CATALOG = package_files.files("partner_api.catalog").joinpath("example_catalog.json")
RESOURCES = f"/v1/installations/{INSTALLATION_ID}/resources"


def provision_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "productId": "demo",
        "name": "my-store",
        "metadata": {"region": "fra1", "replicas": 1},
        "billingPlanId": "demo-free",
    }
    return {**body, **overrides}


def resource_url(resource_id: str, suffix: str = "") -> str:
    return f"{RESOURCES}/{resource_id}{suffix}"


def stored(resource_id: str) -> Resource | None:
    db.session.expire_all()
    return db.session.get(Resource, resource_id)


def versions(resource_id: str) -> list[SecretVersion]:
    db.session.expire_all()
    query = select(SecretVersion).where(SecretVersion.resource_id == resource_id)
    return list(db.session.scalars(query.order_by(SecretVersion.version)))


def jobs(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def secret_value(secrets: list[dict[str, Any]], name: str) -> str:
    return next(secret["value"] for secret in secrets if secret["name"] == name)


@pytest.fixture
def provision(client, vercel, installed):
    """Provision through the API; returns the response body (asserting a 200)."""

    def run(**overrides: Any) -> dict[str, Any]:
        response = client.post(RESOURCES, json=provision_body(**overrides), headers=vercel.user())
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return run


@pytest.fixture
def resource(provision) -> dict[str, Any]:
    """A ready demo resource, as Provision Resource answered it (with its secrets)."""
    return provision()


def run_jobs() -> int:
    """Run every due job. Vercel is mocked out: jobs that call it fail and wait for a retry."""
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        return run_due()


def make_due(kind: str) -> None:
    """Let time pass for the pending jobs of `kind`."""
    for job in jobs(kind):
        if job.state == PENDING:
            job.run_at = utcnow()
    db.session.commit()


@pytest.fixture
def custom_catalog(app, app_settings, tmp_path):
    """Switch to another app on the same database, with a catalog the test adjusts.

    Call it with a function that edits the example catalog (a dict) in place.
    """
    contexts = []

    def switch(edit: Callable[[dict[str, Any]], None]) -> Flask:
        catalog = json.loads(EXAMPLE_CATALOG.read_text())
        edit(catalog)
        path = tmp_path / f"catalog-{len(contexts)}.json"
        path.write_text(json.dumps(catalog))
        other = create_app({**app_settings, "CATALOG_PATH": str(path)})
        context = other.app_context()
        context.push()
        contexts.append(context)
        return other

    yield switch
    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()


def demo_product(catalog: dict[str, Any]) -> dict[str, Any]:
    return next(product for product in catalog["products"] if product["slug"] == "demo")
