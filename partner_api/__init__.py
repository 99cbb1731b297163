"""partner-api: a server for Vercel's Marketplace Partner API.

Importing the package (or any module of it) is cheap: it loads neither Flask nor the app.
The app factory is `partner_api.app.create_app`; `create_app` here builds it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment's profile, then apply `overrides` (tests)."""
    from partner_api.app import create_app as build

    return build(overrides)
