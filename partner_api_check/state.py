"""What Vercel could read back of an installation, to tell whether a refused call changed it.

A snapshot is every read the server offers for the installation: Get Installation, the full
List Resources listing (when the server has it, so a resource a refused call created shows
up), and Get Resource for the fixture's resource. Two snapshots are equal only if nothing
Vercel can see changed. Secrets are not in it: the Partner API never reads them back.
"""

from __future__ import annotations

from typing import Any

from partner_api_check.context import Context
from partner_api_check.endpoints import BY_NAME, supported
from partner_api_check.fixtures import Fixture

Snapshot = list[tuple[str, int, Any]]


def _listing(body: Any) -> Any:
    """List Resources' body with its resources in id order (the order is not the point)."""
    resources = body.get("resources") if isinstance(body, dict) else None
    if not isinstance(resources, list):
        return body
    return {**body, "resources": sorted(resources, key=lambda item: str(
        item.get("id") if isinstance(item, dict) else item))}


def snapshot(ctx: Context, fixture: Fixture) -> Snapshot:
    reads = [("installation", fixture.installation_path())]
    if supported(ctx, fixture, BY_NAME["list resources"]):
        reads.append(("resources", fixture.installation_path("/resources")))
    if fixture.resource_id:
        reads.append(("resource", fixture.resource_path()))
    taken = []
    for label, path in reads:
        reply = ctx.target.request("GET", path, headers=fixture.system())
        body = _listing(reply.json) if label == "resources" else reply.json
        taken.append((label, reply.status, body))
    return taken


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """Which reads changed between two snapshots of the same fixture."""
    if len(before) != len(after):
        return ["the reads the server offers"]
    return [label for (label, *old), (_, *new) in zip(before, after, strict=True) if old != new]
