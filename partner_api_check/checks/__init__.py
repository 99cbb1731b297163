"""The check groups, in the order they run."""

from __future__ import annotations

from collections.abc import Callable

import requests

from partner_api_check.checks import auth, bodies, idempotency, lifecycle, transfers, webhooks
from partner_api_check.context import Context

GROUPS: dict[str, Callable[[Context], None]] = {
    lifecycle.GROUP: lifecycle.run,
    auth.GROUP: auth.run,
    bodies.GROUP: bodies.run,
    idempotency.GROUP: idempotency.run,
    transfers.GROUP: transfers.run,
    webhooks.GROUP: webhooks.run,
}


def run_groups(ctx: Context, names: list[str]) -> None:
    """Run the named groups; an unreachable server ends a group with a failure."""
    for name in names:
        try:
            GROUPS[name](ctx)
        except requests.RequestException as error:
            ctx.run.fail(name, "server reachable", f"{type(error).__name__}: {error}")
