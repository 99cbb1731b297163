"""What a handler gets, what it may raise, and the registry of handlers by event type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from partner_api.installations.models import Installation

HANDLED = "handled"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    payload: dict[str, Any]
    # Vercel's `createdAt`, or the time we received the event when it had none.
    occurred_at: datetime
    installation: Installation


class MalformedEvent(Exception):
    """The payload lacks what its type promises; retrying cannot help.

    The message names fields only, never their values.
    """


Handler = Callable[[Event], str | None]
_handlers: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    """Register a handler for event types; it returns a result note (None means handled)."""

    def register(function: Handler) -> Handler:
        for event_type in types:
            if _handlers.get(event_type, function) is not function:
                raise ValueError(f"a handler for {event_type!r} is already registered")
            _handlers[event_type] = function
        return function

    return register


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def lookup(value: Any, *path: str) -> Any:
    """The value at `path` in nested objects, or None where the path breaks off."""
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def text(payload: dict[str, Any], *path: str, required: bool = True) -> str | None:
    """The string at `path` (e.g. `"project", "id"`), or MalformedEvent if required."""
    value = lookup(payload, *path)
    if isinstance(value, str) and value:
        return value
    if required or value is not None:
        raise MalformedEvent(f"{'.'.join(path)} must be a non-empty string")
    return None


def iso_datetime(payload: dict[str, Any], *path: str) -> datetime | None:
    """An optional ISO-8601 datetime at `path`; one without a zone is read as UTC."""
    value = text(payload, *path, required=False)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedEvent(f"{'.'.join(path)} must be an ISO-8601 datetime") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
