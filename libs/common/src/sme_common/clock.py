"""The business clock: the one place a service asks for "now" and for "today".

Instants are aware and stored in UTC (``*_at``); the dates the rules speak of (today, a founding
date, "as of the end of this day") are business days in Asia/Shanghai (docs/architecture.md: time).
Every use case reads the time through ``now()`` / ``business_today()``, so a test fixes it for the
whole service with ``use_clock(FixedClock(...))`` instead of patching module by module.

Pure: no FastAPI, no SQLAlchemy (domain modules may use it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sme_common.rules import RuleViolation

BUSINESS_TIMEZONE = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still at ``at`` until it is moved (tests)."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a clock tells aware instants: give `at` a timezone")

    def now(self) -> datetime:
        return self.at.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        self.at += by


_clock: Clock = SystemClock()


def current_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Make ``clock`` the process's clock; returns the one it replaces."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """The process tells ``clock``'s time inside the block (and its own again after it)."""
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def now() -> datetime:
    """The current instant (aware, UTC for the system clock)."""
    return _clock.now()


def business_day(at: datetime) -> date:
    """The Asia/Shanghai date of an instant: 2026-01-01T16:30Z is already 2 January."""
    return at.astimezone(BUSINESS_TIMEZONE).date()


def business_today() -> date:
    return business_day(now())


def end_of_business_day(day: date) -> datetime:
    """The instant ``day`` ends: the next midnight in Asia/Shanghai (an as-of read of ``day``
    sees what was recorded before it)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BUSINESS_TIMEZONE)


def check_not_future(day: date, field: str) -> None:
    """Reads "as of" a day answer for days that have ended or are under way: a later day has no
    answer yet (and 9999-12-31 has no next midnight to read up to). ``{field}_in_future``."""
    today = business_today()
    if day > today:
        raise RuleViolation(
            f"{field}_in_future",
            f"{field} {day} is after today ({today}, Asia/Shanghai)",
            f"{field} 不能晚于今天（{today}）",
            field=field,
        )
