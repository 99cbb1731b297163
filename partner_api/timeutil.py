"""Datetimes are timezone-aware UTC inside the app and ISO-8601 with `Z` on the wire."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """`2026-01-31T12:00:00.000Z`: the shape Vercel documents for every datetime."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
