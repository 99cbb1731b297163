"""Serves the kit's public key set where a partner server fetches Vercel's."""

from __future__ import annotations

from typing import Any

from partner_api_check.httpd import BackgroundServer, JsonHandler

JWKS_PATH = "/.well-known/jwks"
DISCOVERY_PATH = "/.well-known/openid-configuration"


class _Handler(JsonHandler):
    def do_GET(self) -> None:
        owner: JwksServer = self.server.owner
        if self.path == JWKS_PATH:
            self.answer(200, owner.jwks)
        elif self.path == DISCOVERY_PATH:
            self.answer(200, {"issuer": owner.issuer, "jwks_uri": owner.jwks_url})
        else:
            self.answer(404, {"error": {"code": "not_found", "message": "Unknown path."}})


class JwksServer(BackgroundServer):
    """``/.well-known/jwks`` and the OIDC discovery document that points at it."""

    def __init__(self, jwks: dict[str, Any], issuer: str, port: int = 0) -> None:
        super().__init__(_Handler, port)
        self.jwks = jwks
        self.issuer = issuer

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH
