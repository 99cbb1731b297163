"""The demo provider on its own: credentials, the store, rotation, revocation, usage."""

from __future__ import annotations

from typing import Any

import pytest

from partner_api.providers.base import Provider, ProviderError, ResourceContext
from partner_api.providers.demo import FREE_PLAN_KEY_LIMIT, DemoProvider


def context(state: dict[str, Any] | None = None, **overrides: Any) -> ResourceContext:
    values: dict[str, Any] = {
        "resource_id": "res_1",
        "installation_id": "icfg_1",
        "product_slug": "demo",
        "name": "store",
        "metadata": {"region": "fra1"},
        "billing_plan_id": "demo-free",
        "state": state if state is not None else {},
    }
    return ResourceContext(**{**values, **overrides})


@pytest.fixture
def demo() -> DemoProvider:
    return DemoProvider()


@pytest.fixture
def provisioned(demo) -> tuple[dict[str, Any], str]:
    """A provisioned store's state and its token."""
    result = demo.provision(context())
    token = next(s.value for s in result.credentials.secrets if s.name == "TOKEN")
    return dict(result.state), token


def test_it_is_a_provider(demo):
    assert isinstance(demo, Provider)


def test_provision_hands_out_a_url_and_a_token(demo):
    result = demo.provision(context())
    url, token = result.credentials.secrets
    assert result.status == "ready"
    assert url.name == "DEMO_STORE_URL"
    assert url.value == "https://fra1.demo-store.invalid/res_1"
    assert url.environment_overrides == {"development": f"{url.value}?namespace=development"}
    assert (token.name, token.prefix) == ("TOKEN", "DEMO_STORE")
    assert DemoProvider.accepts(result.state, token.value)
    assert token.value not in repr(result.state)  # only a digest is kept
    assert set(result.credentials.state) == {"token_id"}


def test_async_metadata_makes_provisioning_and_rotation_asynchronous(demo, provisioned):
    ctx = context(metadata={"region": "iad1", "provisioning": "async"})
    assert demo.provision(ctx).status == "pending"
    assert demo.finish_provisioning(ctx) == "ready"
    state, _ = provisioned
    rotation = demo.rotate_secrets(context(state, metadata=ctx.metadata), reason=None)
    assert rotation.credentials is None and rotation.partial


def test_tokens_differ_between_stores(demo):
    tokens = {demo.provision(context()).credentials.secrets[1].value for _ in range(5)}
    assert len(tokens) == 5


def test_rotation_issues_a_token_and_revocation_retires_the_old_one(demo, provisioned):
    state, old_token = provisioned
    first = demo.rotate_secrets(context(state), reason="scheduled")
    [token] = first.credentials.secrets
    assert first.partial
    assert DemoProvider.accepts(state, old_token) and DemoProvider.accepts(state, token.value)
    old_id = old_token.partition(".")[0]
    demo.revoke(context(state), {"token_id": old_id})
    assert not DemoProvider.accepts(state, old_token)
    assert DemoProvider.accepts(state, token.value)
    later = demo.finish_rotation(context(state))
    assert DemoProvider.accepts(state, later.secrets[0].value)


@pytest.mark.parametrize("forged", ["", "nodot", "unknown.secret"])
def test_forged_tokens_are_rejected(provisioned, forged):
    state, token = provisioned
    assert not DemoProvider.accepts(state, forged)
    assert not DemoProvider.accepts(state, token.partition(".")[0] + ".wrong")


def test_deprovision_empties_the_store_and_revokes_every_token(demo, provisioned):
    state, token = provisioned
    demo.repl(context(state), "SET a 1", read_only=False)
    demo.deprovision(context(state))
    assert state["store"] == {}
    assert not DemoProvider.accepts(state, token)


def test_free_plan_limits_the_keys(demo):
    state = {"store": {f"k{n}": "v" for n in range(FREE_PLAN_KEY_LIMIT)}, "tokens": {}}
    [block] = demo.repl(context(state), "SET one-more v", read_only=False)
    assert "full" in block["children"][0]["text"]
    assert len(state["store"]) == FREE_PLAN_KEY_LIMIT
    demo.repl(context(state), "SET k0 replaced", read_only=False)  # overwriting is fine
    assert state["store"]["k0"] == "replaced"
    demo.repl(context(state, billing_plan_id="demo-pro"), "SET one-more v", read_only=False)
    assert "one-more" in state["store"]


def test_downgrade_is_refused_while_the_store_is_too_big(demo):
    state = {"store": {f"k{n}": "v" for n in range(FREE_PLAN_KEY_LIMIT + 1)}, "tokens": {}}
    previous = context(state, billing_plan_id="demo-pro")
    with pytest.raises(ProviderError) as refusal:
        demo.update(context(state), previous)
    assert refusal.value.code == "plan_limit_exceeded"
    assert refusal.value.status == 409
    assert demo.update(context(state, billing_plan_id="demo-credits"), previous) == state


def test_read_only_console_never_writes(demo):
    state: dict[str, Any] = {"store": {"a": "1"}, "tokens": {}}
    for command in ("SET a 2", "DEL a", "set b 3"):
        [block] = demo.repl(context(state), command, read_only=True)
        assert block["children"][0]["color"] == "red"
    assert state["store"] == {"a": "1"}


def test_help_and_blank_input(demo):
    [table] = demo.repl(context(), "HELP", read_only=True)
    assert {row[0]["text"].split()[0] for row in table["rows"]} == {
        "SET",
        "GET",
        "DEL",
        "KEYS",
        "INFO",
        "AUTH",
    }
    [paragraph] = demo.repl(context(), "   ", read_only=True)
    assert paragraph["children"][0]["text"].startswith("Commands:")


def test_usage_reports_keys_and_bytes(demo):
    state = {"store": {"ab": "cde", "f": ""}, "tokens": {}}
    keys, storage = demo.usage(context(state))
    assert (keys.name, keys.type, keys.day_value, keys.period_value) == ("keys", "total", 2, 2)
    assert (storage.name, storage.units, storage.day_value) == ("storage", "bytes", 6)
