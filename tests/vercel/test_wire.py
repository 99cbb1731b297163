"""Money and datetimes in the shapes Vercel expects (§7.10, §7.11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from partner_api.vercel.wire import money, number, parse_timestamp, timestamp, unit_price


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("20"), "20.00"),
        (Decimal("1.5"), "1.50"),
        (Decimal("0.005"), "0.01"),
        (Decimal("1E+3"), "1000.00"),
        (7, "7.00"),
        (Decimal("0"), "0.00"),
    ],
)
def test_money_has_exactly_two_places_and_no_exponent(amount, text):
    assert money(amount) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("0.0004"), "0.0004"), (Decimal("2.5"), "2.50"), (Decimal("0.12500"), "0.125")],
)
def test_unit_prices_keep_sub_cent_digits(amount, text):
    assert unit_price(amount) == text


@pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity")])
def test_money_refuses_what_the_pattern_forbids(amount):
    with pytest.raises(ValueError, match="non-negative"):
        money(amount)


@pytest.mark.parametrize("amount", [1.1, "1.10", True])
def test_money_refuses_floats_and_text(amount):
    with pytest.raises(TypeError):
        money(amount)


def test_numbers_stay_json_numbers():
    assert number(Decimal("3")) == 3 and isinstance(number(Decimal("3")), int)
    assert number(Decimal("2.5")) == 2.5
    assert number(4) == 4


def test_timestamps_are_utc_with_z():
    moment = datetime(2026, 1, 31, 13, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    assert timestamp(moment) == "2026-01-31T12:00:00.250Z"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        timestamp(datetime(2026, 1, 31, 12, 0))


def test_parsed_timestamps_are_aware_utc():
    assert parse_timestamp("2026-01-31T12:00:00.000Z") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_timestamp("2026-01-31T12:00:00") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_timestamp(None) is None
