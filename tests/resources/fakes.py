"""Providers plugged in by `package.module:ClassName`, for tests of refusals."""

from __future__ import annotations

from partner_api.providers.base import ProviderError, Provisioned, ResourceContext
from partner_api.providers.demo import DemoProvider


class QuotaReachedProvider(DemoProvider):
    """Refuses every new resource, like a provider whose account is out of quota."""

    def provision(self, resource: ResourceContext) -> Provisioned:
        raise ProviderError("The account's resource quota is reached.", code="quota_reached")


class NotAProvider:
    """Has none of the Provider protocol's methods."""


class CarelessConsoleProvider(DemoProvider):
    """Ignores the console's read-only flag."""

    def repl(self, resource: ResourceContext, command: str, read_only: bool) -> list[dict]:
        return super().repl(resource, command, read_only=False)
