"""Building one provider per provider name of the catalog, once per app."""

from __future__ import annotations

import sys
import types

import pytest

from partner_api.catalog import Catalog, Product, current_catalog
from partner_api.providers.demo import DemoProvider
from partner_api.providers.registry import ProviderSetupError, build_providers, provider_for
from tests.resources.conftest import demo_product
from tests.resources.fakes import QuotaReachedProvider


def product(slug: str, provider: str) -> Product:
    plan = {"id": f"{slug}-free", "type": "subscription", "name": "Free", "description": "-"}
    return Product(slug, slug, provider, {"type": "object"}, (plan,))


def catalog(*products: Product) -> Catalog:
    return Catalog(products={p.slug: p for p in products})


def test_products_naming_one_provider_share_its_instance():
    providers = build_providers(catalog(product("a", "demo"), product("b", "demo")), {})
    assert list(providers) == ["demo"]
    assert isinstance(providers["demo"], DemoProvider)


def test_a_partner_plugs_in_a_class_by_its_import_path():
    name = "tests.resources.fakes:QuotaReachedProvider"
    providers = build_providers(catalog(product("mine", name)), {})
    assert type(providers[name]) is QuotaReachedProvider


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("nonsense", "unknown provider 'nonsense'"),
        ("tests.resources.no_such_module:Provider", "No module named"),
        ("tests.resources.fakes:Missing", "has no attribute 'Missing'"),
        ("tests.resources.fakes:NotAProvider", "does not implement the Provider protocol"),
    ],
)
def test_an_unusable_provider_names_the_product(name, reason):
    with pytest.raises(ProviderSetupError) as error:
        build_providers(catalog(product("broken", name)), {})
    assert "product 'broken'" in str(error.value)
    assert reason in str(error.value)


def test_postgres_gets_the_cluster_settings(monkeypatch):
    made = []

    class PostgresProvider(DemoProvider):
        def __init__(self, *, admin_url, public_url):
            made.append((admin_url, public_url))

    module = types.ModuleType("partner_api.providers.postgres")
    module.PostgresProvider = PostgresProvider
    monkeypatch.setitem(sys.modules, "partner_api.providers.postgres", module)
    settings = {"POSTGRES_PROVIDER_ADMIN_URL": "postgresql://admin@db/postgres"}
    providers = build_providers(catalog(product("postgres", "postgres")), settings)
    assert isinstance(providers["postgres"], PostgresProvider)
    assert made == [("postgresql://admin@db/postgres", None)]


def test_postgres_is_not_imported_unless_offered(monkeypatch):
    monkeypatch.setitem(sys.modules, "partner_api.providers.postgres", None)  # import fails
    assert list(build_providers(catalog(product("demo", "demo")), {})) == ["demo"]


def test_the_app_serves_each_product_with_its_provider(app):
    assert isinstance(provider_for(current_catalog().product("demo")), DemoProvider)


def test_the_app_does_not_start_with_an_unknown_provider(custom_catalog):
    def break_demo(catalog):
        demo_product(catalog)["provider"] = "nonsense"

    with pytest.raises(SystemExit, match="cannot start: product 'demo'"):
        custom_catalog(break_demo)
