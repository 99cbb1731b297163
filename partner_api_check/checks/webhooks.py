"""Webhook deliveries (§2.3, §5): signed ones are acknowledged, unsigned or forged ones refused.

The signature is the lowercase hex HMAC-SHA1 of the raw body keyed with the client secret,
in ``x-vercel-signature``. The event concerns an installation the server has never seen,
which it must acknowledge all the same (§7.28).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from partner_api_check.context import Context, random_id
from partner_api_check.results import Check
from partner_api_check.target import Reply

GROUP = "webhooks"
SIGNATURE_HEADER = "x-vercel-signature"
REFUSED = (401, 403)


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def event() -> dict[str, Any]:
    installation = random_id("icfg_checkHook")
    return {
        "id": random_id("evt_check"),
        "type": "marketplace.member.changed",
        "createdAt": int(time.time() * 1000),
        "region": None,
        "payload": {
            "configuration": {"id": installation},
            "installationId": installation,
            "memberId": random_id("user_check"),
            "role": "USER",
            "team": {"id": random_id("team_check")},
            "user": {"id": None},
        },
    }


def encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def deliver(ctx: Context, check: Check, body: bytes, signed: str | None) -> Reply:
    headers = {"Content-Type": "application/json"}
    if signed is not None:
        headers[SIGNATURE_HEADER] = signed
    return check.call("POST", ctx.settings.webhook_path, headers=headers, data=body,
                      idempotent=False)


def run(ctx: Context) -> None:
    secret = ctx.settings.client_secret
    names = ["signed delivery", "forged signature", "missing signature", "tampered body",
             "replayed delivery"]
    if not secret:
        for name in names:
            ctx.run.skip(GROUP, name, "pass --client-secret (the integration's client secret)")
        return
    original = encode(event())
    with ctx.run.check(GROUP, "signed delivery") as check:
        reply = deliver(ctx, check, original, signature(secret, original))
        if not reply.ok:
            check.fail(f"expected 2xx, got {reply.summary()}")
    with ctx.run.check(GROUP, "forged signature") as check:
        body = encode(event())
        check.expect_status(deliver(ctx, check, body, signature(secret + "-forged", body)),
                            *REFUSED)
    with ctx.run.check(GROUP, "missing signature") as check:
        check.expect_status(deliver(ctx, check, encode(event()), None), *REFUSED)
    with ctx.run.check(GROUP, "tampered body") as check:
        body = encode(event())
        tampered = body.replace(b'"role":"USER"', b'"role":"ADMIN"')
        check.expect_status(deliver(ctx, check, tampered, signature(secret, body)), *REFUSED)
    with ctx.run.check(GROUP, "replayed delivery") as check:
        reply = deliver(ctx, check, original, signature(secret, original))
        if not reply.ok:
            check.fail(f"a redelivery must be acknowledged (2xx), got {reply.summary()}")
        check.note(f"{reply.status}; whether it was processed twice cannot be seen from outside")
