"""How values look on the wire to Vercel: money as decimal strings, UTC datetimes with `Z`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from partner_api.timeutil import isoformat

CENTS = Decimal("0.01")


def _decimal(amount: Decimal | int) -> Decimal:
    # Floats are refused: they cannot hold most cent values exactly.
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal or an int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite() or value < 0:
        raise ValueError("money must be a finite, non-negative amount of dollars")
    return value


def money(amount: Decimal | int) -> str:
    """A total or an amount in dollars: exactly two decimal places (`"20.00"`)."""
    return f"{_decimal(amount).quantize(CENTS, rounding=ROUND_HALF_UP):f}"


def unit_price(amount: Decimal | int) -> str:
    """A per-unit price: at least two decimal places, sub-cent digits kept (`"0.0004"`)."""
    value = _decimal(amount)
    if value == value.quantize(CENTS):
        return money(value)
    return f"{value.normalize():f}"


def parse_money(text: Any) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        raise ValueError("not a decimal amount") from None


def number(value: Decimal | int | float) -> int | float:
    """A JSON number (quantities, usage values); integral decimals stay integers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware (UTC) datetime")
    return isoformat(moment)


def parse_timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def compact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that have a value: Vercel reads an absent field as "not given"."""
    return {key: value for key, value in fields.items() if value is not None}
