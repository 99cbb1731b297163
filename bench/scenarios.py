"""What the load sends: one scenario per Partner API endpoint, a mix, and the ceiling.

A scenario turns a random draw from the seeded data into a `Call` (method, path, auth kind,
body). Tokens are added later (bench/tokens.py), one freshly signed token per call.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from bench.seed import PRODUCT, Seeded


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    installation: str  # the token's; "" where no token is checked
    body: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    draw: Callable[[random.Random, Seeded], Call]
    authenticated: bool = True


def _installation(rng: random.Random, seeded: Seeded) -> str:
    return rng.choice(seeded.installations)


def _split(seeded: Seeded) -> int:
    """Where the installations that provisions write to end (the first tenth, at least one).

    Listings read the others only, so they list M resources however long the runs write.
    """
    return max(1, len(seeded.installations) // 10)


def _written_installation(rng: random.Random, seeded: Seeded) -> str:
    return rng.choice(seeded.installations[: _split(seeded)])


def _listed_installation(rng: random.Random, seeded: Seeded) -> str:
    return rng.choice(seeded.installations[_split(seeded) :] or seeded.installations)


def _resource(rng: random.Random, seeded: Seeded) -> tuple[str, str]:
    installation = _installation(rng, seeded)
    return installation, rng.choice(seeded.resources[installation])


def get_installation(rng: random.Random, seeded: Seeded) -> Call:
    installation = _installation(rng, seeded)
    return Call("GET", f"/v1/installations/{installation}", installation)


def installation_plans(rng: random.Random, seeded: Seeded) -> Call:
    installation = _installation(rng, seeded)
    return Call("GET", f"/v1/installations/{installation}/plans", installation)


def product_plans(rng: random.Random, seeded: Seeded) -> Call:
    return Call("GET", f"/v1/products/{PRODUCT}/plans", _installation(rng, seeded))


def get_resource(rng: random.Random, seeded: Seeded) -> Call:
    installation, resource = _resource(rng, seeded)
    return Call("GET", f"/v1/installations/{installation}/resources/{resource}", installation)


def resource_plans(rng: random.Random, seeded: Seeded) -> Call:
    installation, resource = _resource(rng, seeded)
    path = f"/v1/installations/{installation}/resources/{resource}/plans"
    return Call("GET", path, installation)


def list_resources(rng: random.Random, seeded: Seeded) -> Call:
    installation = _listed_installation(rng, seeded)
    return Call("GET", f"/v1/installations/{installation}/resources", installation)


def provision(rng: random.Random, seeded: Seeded) -> Call:
    installation = _written_installation(rng, seeded)
    body = {
        "productId": PRODUCT,
        "name": f"bench-{rng.randrange(10**9)}",
        "metadata": {"region": rng.choice(["iad1", "sfo1", "fra1"])},
        "billingPlanId": "demo-free",
    }
    return Call("POST", f"/v1/installations/{installation}/resources", installation,
                json.dumps(body))


# A dashboard session: mostly reads of one resource, some listings, now and then a new one.
MIX: tuple[tuple[Callable[[random.Random, Seeded], Call], int], ...] = (
    (get_resource, 35),
    (list_resources, 10),
    (get_installation, 15),
    (resource_plans, 10),
    (installation_plans, 10),
    (product_plans, 15),
    (provision, 5),
)


def mixed(rng: random.Random, seeded: Seeded) -> Call:
    draws, weights = zip(*MIX, strict=True)
    return rng.choices(draws, weights)[0](rng, seeded)


def ceiling(rng: random.Random, seeded: Seeded) -> Call:
    return Call("GET", "/ceiling", "")


def _on_the_floor(draw: Callable[[random.Random, Seeded], Call]):
    """`draw`'s call, sent to its floor route of bench/ceiling.py (the same path under /floor)."""

    def floor(rng: random.Random, seeded: Seeded) -> Call:
        call = draw(rng, seeded)
        return Call(call.method, f"/floor{call.path}", call.installation, call.body)

    return floor


CEILING = Scenario("ceiling", ceiling, authenticated=False)
# Served by the ceiling's server (bench/ceiling.py): what the calls cannot skip, in bare routes.
FLOORS = (
    Scenario("floor_token", _on_the_floor(get_installation)),
    Scenario("floor_get_resource", _on_the_floor(get_resource)),
    Scenario("floor_provision", _on_the_floor(provision)),
)
SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("get_installation", get_installation),
        Scenario("installation_plans", installation_plans),
        Scenario("product_plans", product_plans),
        Scenario("get_resource", get_resource),
        Scenario("resource_plans", resource_plans),
        Scenario("list_resources", list_resources),
        Scenario("provision", provision),
        Scenario("mixed", mixed),
    )
}
