"""Fixtures for transfer requests: a source with resources, candidate targets, claims."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from partner_api.extensions import db
from partner_api.jobs.models import Job
from partner_api.resources.models import Resource
from partner_api.timeutil import utcnow
from partner_api.transfers.models import TransferClaim, VerifiedTarget
from partner_api.vercel.jobs import CREATE_EVENT
from tests.conftest import INSTALLATION_ID, upsert_body
from tests.resources.conftest import provision_body

SOURCE = INSTALLATION_ID
TARGET = "icfg_target00000000000000001"
OTHER_TARGET = "icfg_target00000000000000002"
STRANGER = "icfg_stranger000000000000003"


def transfers_url(installation_id: str = SOURCE) -> str:
    return f"/v1/installations/{installation_id}/resource-transfer-requests"


def claim_url(installation_id: str, claim_id: str, action: str) -> str:
    return f"{transfers_url(installation_id)}/{claim_id}/{action}"


def in_ms(delta: timedelta) -> int:
    """An `expiresAt` that far from now."""
    return int((time.time() + delta.total_seconds()) * 1000)


def stored_claim(claim_id: str) -> TransferClaim | None:
    db.session.expire_all()
    return db.session.get(TransferClaim, claim_id)


def verified_targets(claim_id: str) -> list[str]:
    db.session.expire_all()
    query = select(VerifiedTarget.installation_id).where(VerifiedTarget.claim_id == claim_id)
    return sorted(db.session.scalars(query))


def owner_of(resource_id: str) -> str:
    db.session.expire_all()
    return db.session.get(Resource, resource_id).installation_id


def events() -> list[dict[str, Any]]:
    """Payloads of the Create Event jobs, oldest first."""
    db.session.expire_all()
    query = select(Job).where(Job.kind == CREATE_EVENT).order_by(Job.id)
    return [job.payload for job in db.session.scalars(query)]


def expire(claim_id: str) -> None:
    claim = stored_claim(claim_id)
    claim.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


@dataclass
class Transfers:
    """Plays Vercel through the transfer endpoints (system tokens, bound to the path)."""

    client: Any
    vercel: Any

    def create(self, resource_ids: list[str], *, source: str = SOURCE, **body: Any):
        payload = {"resourceIds": resource_ids, "expiresAt": in_ms(timedelta(hours=1)), **body}
        return self.client.post(
            transfers_url(source), json=payload, headers=self.vercel.system(source)
        )

    def claim(self, resource_ids: list[str]) -> str:
        response = self.create(resource_ids)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["providerClaimId"]

    def verify(self, claim_id: str, target: str = TARGET, *, method: str = "GET", headers=None):
        return self.client.open(
            claim_url(target, claim_id, "verify"),
            method=method,
            headers=headers or self.vercel.system(target),
        )

    def accept(self, claim_id: str, target: str = TARGET, *, json: Any = None, headers=None):
        return self.client.post(
            claim_url(target, claim_id, "accept"),
            json=json,
            headers=headers or self.vercel.system(target),
        )

    def verified(self, claim_id: str, target: str = TARGET) -> None:
        response = self.verify(claim_id, target)
        assert response.status_code == 200, response.get_json()


@pytest.fixture
def install(client, vercel) -> Callable[[str], str]:
    def run(installation_id: str) -> str:
        response = client.put(
            f"/v1/installations/{installation_id}",
            json=upsert_body(),
            headers=vercel.user(installation_id),
        )
        assert response.status_code == 200, response.get_json()
        return installation_id

    return run


@pytest.fixture
def provision(client, vercel) -> Callable[..., dict[str, Any]]:
    """Provision a demo resource on an installation; returns Provision's answer."""

    def run(installation_id: str = SOURCE, **overrides: Any) -> dict[str, Any]:
        response = client.post(
            f"/v1/installations/{installation_id}/resources",
            json=provision_body(**overrides),
            headers=vercel.user(installation_id),
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return run


@pytest.fixture
def targets(install) -> list[str]:
    """Two live candidate target installations."""
    return [install(TARGET), install(OTHER_TARGET)]


@pytest.fixture
def resources(installed, provision) -> list[str]:
    """Two live resources of the source installation."""
    return [provision(name="store-a")["id"], provision(name="store-b")["id"]]


@pytest.fixture
def transfers(client, vercel) -> Transfers:
    return Transfers(client, vercel)


@pytest.fixture
def claim_id(transfers, resources, targets) -> str:
    """An open claim on both resources; both targets exist but have not verified it."""
    return transfers.claim(resources)


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
