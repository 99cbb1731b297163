"""Helpers of the SSO tests: play Vercel's token endpoint, sign in, read the session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import responses
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import INSTALLATION_ID

TOKEN_URL = "https://api.vercel.com/v1/integrations/sso/token"
SSO_ACCESS_TOKEN = "vercel-sso-access-token"
CODE = "sso-code-0001"
STATE = "sso-state-0001"


@dataclass
class SsoExchange:
    """Answers V17 like Vercel, with an `id_token` signed by the test key."""

    mock: responses.RequestsMock
    vercel: Any

    def answer(self, installation_id: str = INSTALLATION_ID, role: str = "ADMIN", **claims) -> str:
        """The next exchange returns a user `id_token` with these claims; returns it."""
        token = self.vercel.user_token(installation_id, role, **claims)
        self.answer_with(
            json={"id_token": token, "access_token": SSO_ACCESS_TOKEN, "token_type": "Bearer"}
        )
        return token

    def answer_with(self, **reply: Any) -> None:
        self.mock.post(TOKEN_URL, **reply)

    @property
    def exchanges(self) -> list[dict[str, Any]]:
        return [json.loads(call.request.body) for call in self.mock.calls]


def callback_query(**context: str) -> dict[str, str]:
    return {"mode": "sso", "code": CODE, "state": STATE, **context}


def sign_in(client: FlaskClient, sso: SsoExchange, role: str = "ADMIN", **context: str):
    """Run the Redirect Login URL with a valid code; returns the callback's response."""
    sso.answer(role=role)
    return client.get("/sso/callback", query_string=callback_query(**context))


def session_of(app: Flask, client: FlaskClient) -> dict[str, Any] | None:
    """The client's session cookie, decoded with the app's own serializer."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None or not cookie.value:
        return None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def csrf_token(app: Flask, client: FlaskClient) -> str:
    return session_of(app, client)["csrf_token"]
