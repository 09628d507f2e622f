"""The public notice (公示): how long it runs and when objections are taken (pure).

A notice runs from its first day through its last day (``ends_on``, inclusive). Its length is
``N`` working days on the Chinese working-day calendar (statutory holidays and 调休 make-up working
days, ``sme_common.calendar``) or ``N`` calendar days, as the province sets in
``notice_lengths.json``. A notice that starts on a day off starts counting on the next working day.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from sme_common.calendar import WorkdayCalendar


class NoticeUnit(enum.StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # 异议成立: the application is rejected
    DISMISSED = "dismissed"  # 异议不成立: the application continues


class ObjectionOutcome(enum.StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class NoticeLength:
    length: int
    unit: NoticeUnit
    source: str
    verified: bool


def last_day(starts_on: date, rule: NoticeLength, calendar: WorkdayCalendar) -> date:
    """The notice's last day. Working days: the first working day on or after ``starts_on`` is day
    1; calendar days: ``starts_on`` is day 1."""
    if rule.unit is NoticeUnit.CALENDAR_DAYS:
        return starts_on + timedelta(days=rule.length - 1)
    first = calendar.next_workday(starts_on)
    return first if rule.length == 1 else calendar.add_workdays(first, rule.length - 1)


def is_running(starts_on: date, ends_on: date, today: date) -> bool:
    return starts_on <= today <= ends_on
