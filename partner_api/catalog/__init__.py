"""Products, their metadata schemas and billing plans, loaded from `CATALOG_PATH`."""

from __future__ import annotations

from flask import Flask, current_app

from partner_api.catalog.loader import CatalogError, load_catalog
from partner_api.catalog.model import Catalog, Product

__all__ = ["Catalog", "CatalogError", "Product", "current_catalog", "init_app", "load_catalog"]


def init_app(app: Flask) -> None:
    settings = frozenset(name for name, value in app.config.items() if value)
    app.extensions["catalog"] = load_catalog(app.config.get("CATALOG_PATH"), settings=settings)


def current_catalog() -> Catalog:
    return current_app.extensions["catalog"]
