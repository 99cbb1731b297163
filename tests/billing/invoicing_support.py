"""Helpers for the invoice, finalization and plan-change tests: a July 2026 to bill.

Installations and resources are made through the Partner API, then moved back in time
(creation, plan changes, uninstall) so a whole past period can be invoiced.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from partner_api.billing.models import InstallationPlanChange, Invoice
from partner_api.billing.periods import period_containing
from partner_api.extensions import db
from partner_api.installations.models import Installation
from partner_api.jobs.models import PENDING, RUNNING, Job
from partner_api.jobs.queue import run
from partner_api.resources.models import Resource, ResourcePlanChange
from tests.conftest import INSTALLATION_ID, upsert_body

JULY = period_containing(datetime(2026, 7, 15, tzinfo=UTC))
INSTALLATION = f"/v1/installations/{INSTALLATION_ID}"


def july(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, tzinfo=UTC)


def install(client, vercel, *, created: datetime, plan: str | None = None) -> Installation:
    """The test installation, created at `created` (optionally on installation plan `plan`)."""
    response = client.put(INSTALLATION, json=upsert_body(), headers=vercel.user())
    assert response.status_code == 200, response.get_json()
    if plan is not None:
        response = client.patch(INSTALLATION, json={"billingPlanId": plan}, headers=vercel.user())
        assert response.status_code == 200, response.get_json()
    db.session.execute(update(InstallationPlanChange).values(effective_at=created))
    db.session.execute(update(Installation).values(created_at=created))
    db.session.commit()
    return stored_installation()


def provision(client, vercel, *, plan: str, created: datetime, name: str = "store") -> str:
    """A demo resource on `plan` since `created`; returns its id."""
    metadata = {"region": "iad1"}
    body = {"productId": "demo", "name": name, "metadata": metadata, "billingPlanId": plan}
    response = client.post(f"{INSTALLATION}/resources", json=body, headers=vercel.user())
    assert response.status_code == 200, response.get_json()
    resource_id = response.get_json()["id"]
    resource = db.session.get(Resource, resource_id)
    resource.created_at = created
    db.session.execute(
        update(ResourcePlanChange)
        .where(ResourcePlanChange.resource_id == resource_id)
        .values(effective_at=created)
    )
    db.session.commit()
    return resource_id


def change_plan(client, vercel, resource_id: str, plan: str, at: datetime) -> None:
    """Vercel moves the resource to `plan` (Update Resource), as of `at`."""
    url = f"{INSTALLATION}/resources/{resource_id}"
    response = client.patch(url, json={"billingPlanId": plan}, headers=vercel.user())
    assert response.status_code == 200, response.get_json()
    latest = db.session.scalars(
        select(ResourcePlanChange)
        .where(ResourcePlanChange.resource_id == resource_id)
        .order_by(ResourcePlanChange.id.desc())
    ).first()
    latest.effective_at = at
    db.session.commit()


def change_installation_plan(client, vercel, plan: str, at: datetime) -> None:
    response = client.patch(INSTALLATION, json={"billingPlanId": plan}, headers=vercel.user())
    assert response.status_code == 200, response.get_json()
    latest = db.session.scalars(
        select(InstallationPlanChange).order_by(InstallationPlanChange.id.desc())
    ).first()
    latest.effective_at = at
    db.session.commit()


def uninstall(client, vercel, at: datetime, body: dict | None = None):
    """Delete Installation, as if it had come at `at`; returns the response."""
    response = client.delete(INSTALLATION, json=body, headers=vercel.user())
    db.session.execute(update(Installation).values(deleted_at=at))
    db.session.execute(
        update(Resource).where(Resource.deleted_at.is_not(None)).values(deleted_at=at)
    )
    db.session.commit()
    return response


def stored_installation() -> Installation:
    db.session.expire_all()
    return db.session.get(Installation, INSTALLATION_ID)


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).order_by(Invoice.id)))


def jobs(kind: str) -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def run_jobs(kind: str) -> int:
    """Run every pending job of `kind` now, due or not (time has passed); returns how many."""
    count = 0
    for job in jobs(kind):
        if job.state != PENDING:
            continue
        job.state, job.attempts = RUNNING, job.attempts + 1
        db.session.commit()
        run(job)
        count += 1
    return count
