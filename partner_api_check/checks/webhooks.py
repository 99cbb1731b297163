"""Webhook deliveries (§2.3, §5): signed ones are acknowledged, unsigned or forged ones refused.

The docs require a 2xx for a delivery (anything else is retried), so a signed delivery and
its redelivery must get one. They tell the receiver to verify the signature but give no status
for a failed check, so refusing forgeries (any 4xx) is recommended, not required.

The signature is the lowercase hex HMAC-SHA1 of the raw body keyed with the client secret,
in ``x-vercel-signature``. Each documented event type (§5.2, `events.PAYLOADS`) is delivered
once, signed, in its documented shape; each concerns an installation the server has never
seen, which it must acknowledge all the same (§7.28).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from partner_api_check import docs, events
from partner_api_check.context import Context
from partner_api_check.results import Check, recommended, required
from partner_api_check.target import Reply

GROUP = "webhooks"
SIGNATURE_HEADER = "x-vercel-signature"
ACKNOWLEDGED = required(docs.WEBHOOKS)
REFUSED = recommended("the docs say to verify x-vercel-signature but give no status for a "
                      "failed check; acknowledging a forgery (2xx) hides that it was not "
                      "processed, so refuse it with a 4xx (401/403)")
FORGERIES = ("forged signature", "missing signature", "tampered body")
MEMBER_CHANGED = "marketplace.member.changed"
OTHER_TYPES = [event_type for event_type in events.PAYLOADS if event_type != MEMBER_CHANGED]


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def event() -> dict[str, Any]:
    return events.event(MEMBER_CHANGED)


def encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def deliver(ctx: Context, check: Check, body: bytes, signed: str | None) -> Reply:
    headers = {"Content-Type": "application/json"}
    if signed is not None:
        headers[SIGNATURE_HEADER] = signed
    return check.call("POST", ctx.settings.webhook_path, headers=headers, data=body,
                      idempotent=False)


def refused(check: Check, reply: Reply) -> None:
    if not 400 <= reply.status < 500:
        check.fail(f"expected a refusal (401/403), got {reply.summary()}")
    if reply.status not in (401, 403):
        check.finding(f"refused with {reply.status}; 401/403 says why")


def run(ctx: Context) -> None:
    secret = ctx.settings.client_secret
    names = ["signed delivery", *FORGERIES, "replayed delivery",
             *(f"signed {event_type}" for event_type in OTHER_TYPES)]
    if not secret:
        for name in names:
            ctx.run.skip(GROUP, name, "pass --client-secret (the integration's client secret)",
                         REFUSED if name in FORGERIES else ACKNOWLEDGED)
        return
    original = encode(event())
    with ctx.run.check(GROUP, "signed delivery", ACKNOWLEDGED) as check:
        reply = deliver(ctx, check, original, signature(secret, original))
        if not reply.ok:
            check.fail(f"expected 2xx, got {reply.summary()}")
    forged = encode(event())
    body = encode(event())
    deliveries = {
        "forged signature": (forged, signature(secret + "-forged", forged)),
        "missing signature": (encode(event()), None),
        "tampered body": (body.replace(b'"role":"USER"', b'"role":"ADMIN"'),
                          signature(secret, body)),
    }
    for name in FORGERIES:
        with ctx.run.check(GROUP, name, REFUSED) as check:
            refused(check, deliver(ctx, check, *deliveries[name]))
    with ctx.run.check(GROUP, "replayed delivery", ACKNOWLEDGED) as check:
        reply = deliver(ctx, check, original, signature(secret, original))
        if not reply.ok:
            check.fail(f"a redelivery must be acknowledged (2xx), got {reply.summary()}")
        check.note(f"{reply.status}; whether it was processed twice cannot be seen from outside")
    for event_type in OTHER_TYPES:
        with ctx.run.check(GROUP, f"signed {event_type}", ACKNOWLEDGED) as check:
            body = encode(events.event(event_type))
            reply = deliver(ctx, check, body, signature(secret, body))
            if not reply.ok:
                check.fail(f"expected 2xx, got {reply.summary()}")
