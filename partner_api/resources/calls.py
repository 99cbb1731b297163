"""How the server calls a resource's provider.

A provider gets a `ResourceContext` whose `state` is a private, writable copy of the
resource's provider state: whatever the provider leaves there is saved with the call's
transaction (that is how the REPL's writes, a revocation or a new token are kept). A
`ProviderError` becomes the contract's error envelope with the provider's status and code.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

from partner_api.catalog import current_catalog
from partner_api.errors import ApiError
from partner_api.providers.base import Provider, ProviderError, ResourceContext
from partner_api.providers.registry import provider_for
from partner_api.resources.models import Resource


def context_of(resource: Resource) -> ResourceContext:
    return ResourceContext(
        resource_id=resource.id,
        installation_id=resource.installation_id,
        product_slug=resource.product_slug,
        name=resource.name,
        metadata=copy.deepcopy(resource.resource_metadata),
        billing_plan_id=resource.billing_plan_id,
        state=copy.deepcopy(resource.provider_state or {}),
    )


def refusal(error: ProviderError) -> ApiError:
    result = ApiError(error.message, code=error.code)
    result.status = error.status
    return result


def provider_of(resource: Resource) -> Provider:
    product = current_catalog().product(resource.product_slug)
    if product is None:
        raise LookupError(f"product {resource.product_slug!r} is no longer in the catalog")
    return provider_for(product)


@contextmanager
def calling(
    resource: Resource, *, keep_state: bool = True
) -> Iterator[tuple[Provider, ResourceContext]]:
    """The resource's provider and a context to call it with.

    With `keep_state` the state the provider leaves in the context is saved.
    """
    context = context_of(resource)
    try:
        yield provider_of(resource), context
    except ProviderError as error:
        raise refusal(error) from None
    if keep_state and context.state != (resource.provider_state or {}):
        resource.provider_state = copy.deepcopy(dict(context.state))
