"""The Chinese working-day calendar (statutory holidays and 调休 make-up working days).

Deadlines of the payment regulation (保障中小企业款项支付条例) run in working days. chinese-calendar
knows the State Council schedules it was released with and raises for later years; we keep that
refusal (a deadline guessed from weekends alone would be silently wrong, since every year has
make-up working Saturdays and Sundays) unless operators filled an override table for the year.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import chinese_calendar

# Enough for every day of the years a deadline can span; a bound, so that odd dates sent by
# callers (a range of past years) cannot grow it without end.
_KNOWN_DAYS_MAX = 20_000


class CalendarYearUnknown(LookupError):
    def __init__(self, year: int) -> None:
        super().__init__(f"no working-day schedule is known for {year}; load the State Council's")
        self.year = year


class WorkdayCalendar:
    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        override_years: frozenset[int] = frozenset(),
    ) -> None:
        """``overrides``: date → is a working day; ``override_years``: years they fully cover."""
        self._overrides = dict(overrides or {})
        self._override_years = override_years
        # Answers already given: a deadline walks ten or more days through chinese-calendar's
        # checks on every case filed or stepped (≈0.4 ms of an intake's CPU, docs/benchmarks.md);
        # a day's answer never changes for a calendar built once. Unknown years are not kept.
        self._known: dict[date, bool] = {}

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is not None:
            return known
        if day in self._overrides:
            answer = self._overrides[day]
        elif day.year in self._override_years:
            answer = day.weekday() < 5
        else:
            try:
                answer = bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                raise CalendarYearUnknown(day.year) from None
        if len(self._known) < _KNOWN_DAYS_MAX:
            self._known[day] = answer
        return answer

    def next_workday(self, day: date) -> date:
        """The first working day on or after ``day``."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is not counted)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def overrides_from(table: Mapping[str, Any]) -> WorkdayCalendar:
    """A calendar with the years of an override table (``reference/data/workday-overrides.json``'s
    shape): each year's ``days_off`` (weekdays off) and ``make_up_workdays`` (weekends worked)."""
    overrides: dict[date, bool] = {}
    years: set[int] = set()
    for year_text, schedule in table["years"].items():
        year = int(year_text)
        if not schedule.get("source"):
            raise ValueError(f"workday overrides for {year} cite no source")
        for day_text in schedule.get("days_off", []):
            overrides[_in_year(day_text, year)] = False
        for day_text in schedule.get("make_up_workdays", []):
            overrides[_in_year(day_text, year)] = True
        years.add(year)
    return WorkdayCalendar(overrides, override_years=frozenset(years))


def _in_year(day_text: str, year: int) -> date:
    day = date.fromisoformat(day_text)
    if day.year != year:
        raise ValueError(f"{day} is listed under {year}")
    return day


@cache
def platform_calendar() -> WorkdayCalendar:
    """The calendar every deadline and payment term runs on: the library's State Council
    schedules, and the operators' table for years published after the library's release."""
    raw = resources.files("sme_common.reference").joinpath("data/workday-overrides.json")
    return overrides_from(json.loads(raw.read_text(encoding="utf-8")))
