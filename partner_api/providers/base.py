"""The Provider protocol: what a partner implements for one product.

The server owns HTTP, auth, persistence, idempotency, billing and the Vercel client; a
provider only talks to the provisioned system. Every method gets a `ResourceContext` (what
the server knows of the resource, including the provider's own `state`) and returns plain
values. `state` is a private, writable copy: whatever the provider leaves in it is saved
with the resource in the same transaction (except after a read-only REPL call). A provider
raises `ProviderError` for a failure the user can act on (shown in the contract's
envelope); anything else is a server error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

ProvisioningStatus = Literal["ready", "pending", "onboarding", "error"]


class ProviderError(Exception):
    """A refusal the user can understand, e.g. a quota reached; becomes a 4xx."""

    def __init__(self, message: str, *, status: int = 409, code: str = "provider_error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Secret:
    """One environment variable handed to Vercel (§3.2.4)."""

    name: str
    value: str
    prefix: str | None = None
    environment_overrides: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Credentials:
    """A set of secrets, plus what the provider needs later to revoke exactly this set."""

    secrets: Sequence[Secret]
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResourceContext:
    resource_id: str
    installation_id: str
    product_slug: str
    name: str
    metadata: Mapping[str, Any]
    billing_plan_id: str
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Provisioned:
    """The answer to provision: secrets now, the system itself now or later.

    With status `pending` the server runs `finish_provisioning` in a background job.
    """

    credentials: Credentials
    status: ProvisioningStatus = "ready"
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rotation:
    """New credentials now (`credentials`), or later (`credentials is None`).

    Later means the server calls `finish_rotation` in a background job and pushes the new
    secrets to Vercel. `partial` says only some of the secrets were replaced.
    """

    credentials: Credentials | None
    partial: bool = False


@dataclass(frozen=True)
class UsageReading:
    """One metric of a resource (§4 V11 `Usage`), as measured now."""

    name: str
    type: Literal["total", "interval", "rate"]
    units: str
    day_value: float
    period_value: float
    plan_value: float | None = None


@runtime_checkable
class Provider(Protocol):
    def provision(self, resource: ResourceContext) -> Provisioned: ...

    def finish_provisioning(self, resource: ResourceContext) -> ProvisioningStatus:
        """Complete a `pending` provision; returns the resource's new status."""
        ...

    def update(self, resource: ResourceContext, previous: ResourceContext) -> Mapping[str, Any]:
        """Apply a plan or metadata change; returns the new provider state."""
        ...

    def deprovision(self, resource: ResourceContext) -> None: ...

    def rotate_secrets(self, resource: ResourceContext, reason: str | None) -> Rotation: ...

    def finish_rotation(self, resource: ResourceContext) -> Credentials: ...

    def revoke(self, resource: ResourceContext, credentials_state: Mapping[str, Any]) -> None:
        """Retire an old credential set once its grace period is over."""
        ...

    def repl(self, resource: ResourceContext, command: str, read_only: bool) -> list[dict]:
        """Run a console command; answers §3.4.10 blocks (paragraphs and tables)."""
        ...

    def usage(self, resource: ResourceContext) -> list[UsageReading]: ...
