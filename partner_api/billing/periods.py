"""Billing periods: calendar months in UTC, the same for every installation.

A period runs from the first instant of a month (00:00:00 UTC on the 1st) up to, but not
including, the first instant of the next month: `start <= moment < end`. Calendar months
(rather than months counted from each installation's creation day) keep every
installation's invoices on the same schedule, make a period's bounds obvious to customers,
and need no stored per-installation anchor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from partner_api.timeutil import utcnow
from partner_api.vercel.models import Period

# The last representable instant of a day on the wire (millisecond precision, §0.3).
LAST_MILLISECOND = timedelta(milliseconds=1)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware (UTC) datetime")
    return moment.astimezone(UTC)


def _first_of_month(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BillingPeriod:
    """One calendar month in UTC; `end` is exclusive (the next period's `start`)."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= _utc(moment) < self.end

    @property
    def previous(self) -> BillingPeriod:
        """The period just before: the one an end-of-period invoice is for."""
        return period_containing(self.start - LAST_MILLISECOND)

    def to_wire(self) -> Period:
        """The `period` object of V11/V12."""
        return Period(self.start, self.end)


def period_containing(moment: datetime) -> BillingPeriod:
    """The calendar month (UTC) that `moment` falls in."""
    moment = _utc(moment)
    start = _first_of_month(moment.year, moment.month)
    if moment.month == 12:
        end = _first_of_month(moment.year + 1, 1)
    else:
        end = _first_of_month(moment.year, moment.month + 1)
    return BillingPeriod(start, end)


def current_period(now: datetime | None = None) -> BillingPeriod:
    return period_containing(now or utcnow())


def end_of_day(moment: datetime) -> datetime:
    """The last millisecond of `moment`'s UTC day: V11's `eod`, always inside its period."""
    day = _utc(moment).date()
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) - LAST_MILLISECOND


def day_of(moment: datetime) -> date:
    """The UTC calendar day of `moment` (usage readings are kept per day)."""
    return _utc(moment).date()
