"""Billing periods are calendar months in UTC: edges, leap years, the turn of the year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from partner_api.billing.periods import (
    BillingPeriod,
    current_period,
    day_of,
    end_of_day,
    period_containing,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "start", "end"),
    [
        (utc(2026, 3, 15, 12), utc(2026, 3, 1), utc(2026, 4, 1)),
        (utc(2026, 3, 1), utc(2026, 3, 1), utc(2026, 4, 1)),
        (utc(2026, 3, 31, 23, 59, 59, 999999), utc(2026, 3, 1), utc(2026, 4, 1)),
        (utc(2026, 4, 1), utc(2026, 4, 1), utc(2026, 5, 1)),
        (utc(2026, 12, 31, 23, 59), utc(2026, 12, 1), utc(2027, 1, 1)),
        (utc(2027, 1, 1), utc(2027, 1, 1), utc(2027, 2, 1)),
        (utc(2028, 2, 29, 8), utc(2028, 2, 1), utc(2028, 3, 1)),
        (utc(2026, 2, 28, 8), utc(2026, 2, 1), utc(2026, 3, 1)),
    ],
)
def test_a_moment_falls_in_its_calendar_month(moment, start, end):
    assert period_containing(moment) == BillingPeriod(start, end)


def test_the_end_is_exclusive_and_the_next_period_starts_there():
    march = period_containing(utc(2026, 3, 10))
    assert utc(2026, 3, 1) in march
    assert march.end - timedelta(microseconds=1) in march
    assert march.end not in march
    assert period_containing(march.end).start == march.end


def test_leap_february_has_29_days_and_common_february_28():
    assert (period_containing(utc(2028, 2, 1)).end - utc(2028, 2, 1)).days == 29
    assert (period_containing(utc(2026, 2, 1)).end - utc(2026, 2, 1)).days == 28
    assert (period_containing(utc(2100, 2, 1)).end - utc(2100, 2, 1)).days == 28  # not leap
    assert (period_containing(utc(2000, 2, 1)).end - utc(2000, 2, 1)).days == 29


def test_the_previous_period_crosses_the_year_backwards():
    january = period_containing(utc(2027, 1, 5))
    assert january.previous == BillingPeriod(utc(2026, 12, 1), utc(2027, 1, 1))
    march = period_containing(utc(2028, 3, 1))
    assert march.previous == BillingPeriod(utc(2028, 2, 1), utc(2028, 3, 1))


def test_other_time_zones_are_read_as_the_utc_instant_they_name():
    # 1 April 01:00 at UTC+2 is still 31 March in UTC.
    moment = datetime(2026, 4, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    assert period_containing(moment).start == utc(2026, 3, 1)
    assert day_of(moment) == date(2026, 3, 31)
    assert moment in period_containing(utc(2026, 3, 2))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        period_containing(datetime(2026, 3, 1))


def test_the_current_period_contains_now():
    period = current_period()
    assert datetime.now(UTC) in period
    assert current_period(utc(2026, 12, 31, 23)).end == utc(2027, 1, 1)


@pytest.mark.parametrize(
    "moment",
    [utc(2026, 3, 31, 0, 0), utc(2026, 3, 31, 23, 59, 59, 999999), utc(2026, 12, 31, 12)],
)
def test_end_of_day_is_the_last_millisecond_of_the_utc_day_inside_the_period(moment):
    eod = end_of_day(moment)
    assert eod.date() == moment.date()
    assert (eod.hour, eod.minute, eod.second, eod.microsecond) == (23, 59, 59, 999000)
    assert eod in period_containing(moment)


def test_the_period_on_the_wire_is_its_start_and_exclusive_end():
    wire = period_containing(utc(2026, 12, 9)).to_wire().to_json()
    assert wire == {"start": "2026-12-01T00:00:00.000Z", "end": "2027-01-01T00:00:00.000Z"}
