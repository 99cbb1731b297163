"""One provider instance per provider name of the catalog, built once when the app starts.

A product's `provider` names its logic:
- `demo` — the built-in `DemoProvider` (no external system);
- `postgres` — the built-in `PostgresProvider`, on the cluster of `POSTGRES_PROVIDER_ADMIN_URL`;
- `package.module:ClassName` — a partner's own class, instantiated without arguments.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app

from partner_api.catalog import Catalog, Product
from partner_api.providers.base import Provider

EXTENSION = "providers"


class ProviderSetupError(RuntimeError):
    """A product's provider cannot be built; the message names the product."""


def _demo(config: Mapping[str, Any]) -> Provider:
    from partner_api.providers.demo import DemoProvider

    return DemoProvider()


def _postgres(config: Mapping[str, Any]) -> Provider:
    # Imported only when a postgres product is offered: the module needs a cluster to talk to.
    from partner_api.providers.postgres import PostgresProvider

    return PostgresProvider(
        admin_url=config["POSTGRES_PROVIDER_ADMIN_URL"],
        public_url=config.get("POSTGRES_PROVIDER_PUBLIC_URL"),
    )


BUILT_IN: dict[str, Callable[[Mapping[str, Any]], Provider]] = {
    "demo": _demo,
    "postgres": _postgres,
}


def _plugged_in(name: str) -> Provider:
    module_name, _, class_name = name.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)()


def _build(name: str, config: Mapping[str, Any]) -> Provider:
    if name in BUILT_IN:
        return BUILT_IN[name](config)
    if ":" not in name:
        raise LookupError(
            f"unknown provider {name!r}: use one of {', '.join(BUILT_IN)} "
            "or 'package.module:ClassName'"
        )
    return _plugged_in(name)


def _describe(error: Exception) -> str:
    """Our own lookup errors are safe to show; a constructor's message might hold a DSN."""
    if isinstance(error, ImportError | AttributeError | LookupError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


def build_providers(catalog: Catalog, config: Mapping[str, Any]) -> dict[str, Provider]:
    """Provider instances keyed by provider name; products naming the same one share it."""
    providers: dict[str, Provider] = {}
    for product in catalog.products.values():
        if product.provider in providers:
            continue
        try:
            provider = _build(product.provider, config)
        except Exception as error:
            raise ProviderSetupError(
                f"product {product.slug!r}: provider {product.provider!r} cannot be built: "
                f"{_describe(error)}"
            ) from error
        if not isinstance(provider, Provider):
            raise ProviderSetupError(
                f"product {product.slug!r}: provider {product.provider!r} does not implement "
                "the Provider protocol (partner_api.providers.base.Provider)"
            )
        providers[product.provider] = provider
    return providers


def init_app(app: Flask) -> None:
    """Build the catalog's providers; an unusable one stops the app from starting."""
    app.extensions[EXTENSION] = build_providers(app.extensions["catalog"], app.config)


def provider_for(product: Product) -> Provider:
    return current_app.extensions[EXTENSION][product.provider]
