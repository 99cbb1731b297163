"""Column types: UTC datetimes on every database, and values encrypted at rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.types import TypeDecorator

from partner_api.crypto import secret_box


class UTCDateTime(TypeDecorator):
    """Stores naive UTC (SQLite keeps no zone) and always hands back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use partner_api.timeutil.utcnow")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EncryptedText(TypeDecorator):
    """A string stored as a Fernet token with the app's ENCRYPTION_KEYS."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else secret_box().encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else secret_box().decrypt(value)


class EncryptedJSON(TypeDecorator):
    """A JSON document stored encrypted (secret sets, stored responses that hold secrets)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else secret_box().encrypt(json.dumps(value))

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(secret_box().decrypt(value))


ENCRYPTED_TYPES = (EncryptedText, EncryptedJSON)
