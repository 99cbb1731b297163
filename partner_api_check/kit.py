"""The kit as a Python API: start its servers, tell the server under test how to trust
them, run the checks.

    with Kit(KitOptions(key_file=Path("check-key.json"))) as kit:
        print(kit.server_settings())        # configure and start the server, then
        report = kit.check(Settings("http://127.0.0.1:8000", product="redis"))
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from partner_api_check.checks import GROUPS, run_groups
from partner_api_check.context import DEFAULT_ISSUER, Context, Settings
from partner_api_check.jwks_server import JwksServer
from partner_api_check.keys import generate_key, load_or_create, public_jwks
from partner_api_check.report import Report
from partner_api_check.tokens import TokenFactory
from partner_api_check.vercel_api import FakeVercelApi


@dataclass(frozen=True)
class KitOptions:
    issuer: str = DEFAULT_ISSUER
    audience: str | None = None  # default: derived from the signing key
    key_file: Path | None = None  # default: a fresh key for this run only
    jwks_port: int = 0  # 0: any free port
    api_port: int = 0


def default_audience(thumbprint: str) -> str:
    """An ``oac_…`` id that stays the same as long as the signing key does."""
    return "oac_check" + hashlib.sha256(thumbprint.encode()).hexdigest()[:16]


class Kit:
    def __init__(self, options: KitOptions | None = None) -> None:
        options = options or KitOptions()
        key = load_or_create(options.key_file) if options.key_file else generate_key()
        self.tokens = TokenFactory(
            key, options.issuer, options.audience or default_audience(key.thumbprint())
        )
        self.jwks = JwksServer(public_jwks(key), options.issuer, options.jwks_port)
        self.vercel = FakeVercelApi(options.api_port)

    def __enter__(self) -> Kit:
        self.jwks.start()
        self.vercel.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.jwks.stop()
        self.vercel.stop()

    def server_settings(self) -> dict[str, str]:
        """The environment the server under test needs to trust the kit as Vercel."""
        return {
            "VERCEL_JWKS_URL": self.jwks.jwks_url,
            "VERCEL_OIDC_ISSUER": self.tokens.issuer,
            "INTEGRATION_CLIENT_ID": self.tokens.audience,
            "VERCEL_API_URL": self.vercel.url,
        }

    def check(self, settings: Settings, groups: Iterable[str] = tuple(GROUPS)) -> Report:
        groups = [name for name in GROUPS if name in set(groups)]
        started_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        ctx = Context(settings, self.tokens, self.vercel)
        run_groups(ctx, groups)
        return Report(
            target=settings.base_url,
            started_at=started_at,
            settings={
                **self.server_settings(),
                "product": settings.product,
                "plan": settings.plan,
                "metadata": settings.metadata,
                "webhook_path": settings.webhook_path,
                "client_secret": "given" if settings.client_secret else None,
                "groups": groups,
            },
            checks=ctx.run.results,
        )
