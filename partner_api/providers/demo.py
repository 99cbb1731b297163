"""The built-in `demo` provider: a small key-value store with no server to run.

The store lives in the resource's own provider state (which the server saves after every
call), so the whole lifecycle works on SQLite alone: provisioning hands out a URL and a
token, rotation issues new tokens and revocation retires old ones, and the REPL reads and
writes keys. Metadata `provisioning: "async"` makes provisioning and rotation asynchronous,
to exercise those paths end to end.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shlex
from collections.abc import Mapping
from typing import Any, cast

from partner_api.providers.answer_limits import cut, omissions, shown_rows
from partner_api.providers.base import (
    Credentials,
    ProviderError,
    Provisioned,
    ProvisioningStatus,
    ResourceContext,
    Rotation,
    Secret,
    UsageReading,
)

# Stores on the free plan hold at most this many keys.
FREE_PLAN = "demo-free"
FREE_PLAN_KEY_LIMIT = 100


def _is_async(resource: ResourceContext) -> bool:
    return resource.metadata.get("provisioning") == "async"


def _state(resource: ResourceContext) -> dict[str, Any]:
    """The writable state the server hands to each call."""
    return cast(dict[str, Any], resource.state)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key_limit(plan_id: str) -> int | None:
    return FREE_PLAN_KEY_LIMIT if plan_id == FREE_PLAN else None


def _storage_bytes(store: Mapping[str, str]) -> int:
    return sum(len(key.encode()) + len(value.encode()) for key, value in store.items())


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, **style}


def _paragraph(text: str, **style: Any) -> list[dict[str, Any]]:
    return [{"type": "paragraph", "children": [_text(text, **style)]}]


def _error(text: str) -> list[dict[str, Any]]:
    return _paragraph(f"(error) {text}", color="red")


def _table(header: list[str], rows: list[list[str]]) -> list[dict[str, Any]]:
    return [
        {
            "type": "table",
            "header": [_text(label, bold=True) for label in header],
            "rows": [[_text(cell) for cell in row] for row in rows],
        }
    ]


HELP = [
    ("SET key value", "store a value"),
    ("GET key", "read a value"),
    ("DEL key", "delete a key"),
    ("KEYS", "list the keys"),
    ("INFO", "describe the store"),
    ("AUTH token", "check whether the store accepts a token"),
]
WRITE_COMMANDS = frozenset({"SET", "DEL"})


class DemoProvider:
    """A key-value store per resource; tokens are kept as digests, never in clear."""

    # -- credentials -------------------------------------------------------------------

    @staticmethod
    def accepts(state: Mapping[str, Any], token: str) -> bool:
        """Whether a store with this state lets the holder of `token` in."""
        token_id, _, secret = token.partition(".")
        entry = state.get("tokens", {}).get(token_id)
        if entry is None or entry["revoked"]:
            return False
        return hmac.compare_digest(entry["digest"], _digest(secret))

    @staticmethod
    def _issue_token(state: dict[str, Any]) -> Credentials:
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        state.setdefault("tokens", {})[token_id] = {"digest": _digest(secret), "revoked": False}
        token = Secret(name="TOKEN", value=f"{token_id}.{secret}", prefix="DEMO_STORE")
        return Credentials(secrets=[token], state={"token_id": token_id})

    @staticmethod
    def _url(resource: ResourceContext) -> Secret:
        region = resource.metadata.get("region", "iad1")
        base = f"https://{region}.demo-store.invalid/{resource.resource_id}"
        # Local development talks to a scratch namespace of the same store.
        return Secret(
            name="DEMO_STORE_URL",
            value=base,
            environment_overrides={"development": f"{base}?namespace=development"},
        )

    # -- lifecycle ---------------------------------------------------------------------

    def provision(self, resource: ResourceContext) -> Provisioned:
        state: dict[str, Any] = {"store": {}, "tokens": {}}
        token = self._issue_token(state)
        credentials = Credentials(secrets=[self._url(resource), *token.secrets], state=token.state)
        status: ProvisioningStatus = "pending" if _is_async(resource) else "ready"
        return Provisioned(credentials=credentials, status=status, state=state)

    def finish_provisioning(self, resource: ResourceContext) -> ProvisioningStatus:
        return "ready"

    def update(self, resource: ResourceContext, previous: ResourceContext) -> Mapping[str, Any]:
        limit = _key_limit(resource.billing_plan_id)
        stored = len(resource.state.get("store", {}))
        if limit is not None and stored > limit:
            raise ProviderError(
                f"The store holds {stored} keys; plan {resource.billing_plan_id!r} allows "
                f"{limit}. Delete keys before changing the plan.",
                code="plan_limit_exceeded",
            )
        return resource.state

    def deprovision(self, resource: ResourceContext) -> None:
        state = _state(resource)
        state["store"] = {}
        for entry in state.get("tokens", {}).values():
            entry["revoked"] = True

    def rotate_secrets(self, resource: ResourceContext, reason: str | None) -> Rotation:
        # Only the token changes, so rotations are partial: the URL stays as it is.
        if _is_async(resource):
            return Rotation(credentials=None, partial=True)
        return Rotation(credentials=self._issue_token(_state(resource)), partial=True)

    def finish_rotation(self, resource: ResourceContext) -> Credentials:
        return self._issue_token(_state(resource))

    def revoke(self, resource: ResourceContext, credentials_state: Mapping[str, Any]) -> None:
        entry = _state(resource).get("tokens", {}).get(credentials_state.get("token_id"))
        if entry is not None:
            entry["revoked"] = True

    def usage(self, resource: ResourceContext) -> list[UsageReading]:
        store = resource.state.get("store", {})
        keys, size = len(store), _storage_bytes(store)
        return [
            UsageReading("keys", "total", "keys", day_value=keys, period_value=keys),
            UsageReading("storage", "total", "bytes", day_value=size, period_value=size),
        ]

    # -- console -----------------------------------------------------------------------

    def repl(self, resource: ResourceContext, command: str, read_only: bool) -> list[dict]:
        try:
            words = shlex.split(command)
        except ValueError as error:
            return _error(f"cannot parse the command: {error}")
        if not words:
            return _paragraph("Commands: " + ", ".join(usage for usage, _ in HELP))
        verb, args = words[0].upper(), words[1:]
        commands = {
            "HELP": self._repl_help,
            "SET": self._repl_set,
            "GET": self._repl_get,
            "DEL": self._repl_del,
            "KEYS": self._repl_keys,
            "INFO": self._repl_info,
            "AUTH": self._repl_auth,
        }
        if verb not in commands:
            return _error(f"unknown command {cut(words[0])!r}; try HELP")
        if verb in WRITE_COMMANDS and read_only:
            return _error(f"{verb} is not allowed: this console is read-only")
        return commands[verb](resource, args)

    def _repl_help(self, resource: ResourceContext, args: list[str]) -> list[dict]:
        return _table(["command", "does"], [list(entry) for entry in HELP])

    def _repl_set(self, resource: ResourceContext, args: list[str]) -> list[dict]:
        if len(args) != 2:
            return _error("usage: SET key value")
        key, value = args
        store = _state(resource).setdefault("store", {})
        limit = _key_limit(resource.billing_plan_id)
        if key not in store and limit is not None and len(store) >= limit:
            plan = resource.billing_plan_id
            return _error(f"the store is full: plan {plan!r} holds {limit} keys")
        store[key] = value
        return _paragraph("OK")

    def _repl_get(self, resource: ResourceContext, args: list[str]) -> list[dict]:
        if len(args) != 1:
            return _error("usage: GET key")
        value = resource.state.get("store", {}).get(args[0])
        return _paragraph("(nil)", italic=True) if value is None else _paragraph(cut(value))

    def _repl_del(self, resource: ResourceContext, args: list[str]) -> list[dict]:
        if len(args) != 1:
            return _error("usage: DEL key")
        removed = _state(resource).get("store", {}).pop(args[0], None)
        return _paragraph(f"(integer) {0 if removed is None else 1}")

    def _repl_keys(self, resource: ResourceContext, args: list[str]) -> list[dict]:
        keys = sorted(resource.state.get("store", {}))
        if not keys:
            return _paragraph("(empty)", italic=True)
        rows = shown_rows([key] for key in keys)
        notes = omissions((len(rows), len(keys)))
        return _table(["key"], rows) + [block for note in notes for block in _paragraph(note)]

    def _repl_info(self, resource: ResourceContext, args: list[str]) -> list[dict]:
        store = resource.state.get("store", {})
        tokens = resource.state.get("tokens", {}).values()
        limit = _key_limit(resource.billing_plan_id)
        rows = [
            ["region", str(resource.metadata.get("region", "iad1"))],
            ["replicas", str(resource.metadata.get("replicas", 0))],
            ["plan", resource.billing_plan_id],
            ["keys", f"{len(store)}" + (f" of {limit}" if limit is not None else "")],
            ["storage bytes", str(_storage_bytes(store))],
            ["active tokens", str(sum(not entry["revoked"] for entry in tokens))],
        ]
        return _table(["property", "value"], rows)

    def _repl_auth(self, resource: ResourceContext, args: list[str]) -> list[dict]:
        if len(args) != 1:
            return _error("usage: AUTH token")
        if self.accepts(resource.state, args[0]):
            return _paragraph("token accepted", color="green")
        return _paragraph("token rejected", color="red")
