"""Each Partner API call sends a small, fixed number of SQL statements, whatever the data size.

Every endpoint is measured on a small database (1 installation × 1 resource) and a larger one
(5 installations × 30 resources): the count must be the same on both (no N+1) and within the
endpoint's budget below. A regression shows up here as a count, never as a timing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bench.seed import Seeded, seed
from tests.conftest import upsert_body
from tests.perf.statements import recorded_statements

SMALL = (1, 1)
LARGE = (5, 30)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    auth: str = "system"
    json: dict | None = None


def _target(seeded: Seeded) -> tuple[str, str]:
    """The last installation and its last resource: both sizes read the same shape."""
    installation = seeded.installations[-1]
    return installation, seeded.resources[installation][-1]


READS: dict[str, Callable[[str, str], Call]] = {
    "get installation": lambda i, r: Call("GET", f"/v1/installations/{i}"),
    "installation plans": lambda i, r: Call("GET", f"/v1/installations/{i}/plans"),
    "product plans": lambda i, r: Call("GET", "/v1/products/demo/plans"),
    "get resource": lambda i, r: Call("GET", f"/v1/installations/{i}/resources/{r}"),
    "resource plans": lambda i, r: Call("GET", f"/v1/installations/{i}/resources/{r}/plans"),
    "list resources": lambda i, r: Call("GET", f"/v1/installations/{i}/resources"),
}
WRITES: dict[str, Callable[[str, str], Call]] = {
    "upsert installation": lambda i, r: Call(
        "PUT", f"/v1/installations/{i}", "user", upsert_body()
    ),
    "update installation": lambda i, r: Call(
        "PATCH", f"/v1/installations/{i}", "user", {"billingPlanId": "team"}
    ),
    "provision resource": lambda i, r: Call(
        "POST",
        f"/v1/installations/{i}/resources",
        "user",
        {"productId": "demo", "name": "new", "metadata": {"region": "iad1"},
         "billingPlanId": "demo-free"},
    ),
    "update resource": lambda i, r: Call(
        "PATCH", f"/v1/installations/{i}/resources/{r}", "user", {"billingPlanId": "demo-free"}
    ),
    "rotate secrets": lambda i, r: Call(
        "POST", f"/v1/installations/{i}/resources/{r}/secrets/rotate", "user", {}
    ),
    "delete resource": lambda i, r: Call("DELETE", f"/v1/installations/{i}/resources/{r}", "user"),
}


# Statements per call, at most. Writes add the idempotency claim (INSERT) and the stored
# response (UPDATE) to their own work.
BUDGETS = {
    "get installation": 1,
    "installation plans": 1,
    "product plans": 0,
    "get resource": 1,
    "resource plans": 1,
    "list resources": 2,
    "upsert installation": 4,
    "update installation": 5,
    "provision resource": 6,
    "update resource": 5,
    "rotate secrets": 7,
    "delete resource": 6,
}


def _count(client, vercel, call: Call, installation: str) -> list[str]:
    headers = vercel.user(installation) if call.auth == "user" else vercel.system(installation)
    if call.method != "GET":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    with recorded_statements() as statements:
        response = client.open(call.path, method=call.method, json=call.json, headers=headers)
    assert response.status_code < 300, response.get_json()
    return statements


def _measure(client, vercel, size: tuple[int, int], make: Callable[[str, str], Call]) -> list[str]:
    seeded = seed(*size, prefix=f"s{size[0]}x{size[1]}")
    installation, resource = _target(seeded)
    return _count(client, vercel, make(installation, resource), installation)


@pytest.mark.parametrize("name", list(READS) + list(WRITES))
def test_statement_count_does_not_depend_on_data_size(app, client, vercel, name):
    make = {**READS, **WRITES}[name]
    small = _measure(client, vercel, SMALL, make)
    large = _measure(client, vercel, LARGE, make)
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= BUDGETS[name], "\n".join(large)

