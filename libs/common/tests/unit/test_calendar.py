"""The Chinese working-day calendar: statutory holidays, 调休 make-up days, and refusing to guess."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sme_common.calendar import CalendarYearUnknown, WorkdayCalendar

calendar = WorkdayCalendar()


def test_national_day_2026_is_a_holiday_from_1_to_7_october() -> None:
    assert [calendar.is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert calendar.is_workday(date(2026, 10, 9))


def test_national_day_2026_make_up_working_days_fall_on_a_sunday_and_a_saturday() -> None:
    assert date(2026, 9, 20).weekday() == 6 and calendar.is_workday(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and calendar.is_workday(date(2026, 10, 10))


def test_five_working_days_after_30_september_2026_skip_the_whole_holiday() -> None:
    # 10-08 (Thu), 10-09 (Fri), 10-10 (make-up Sat), 10-12 (Mon), 10-13 (Tue)
    assert calendar.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_spring_festival_2026_and_its_make_up_saturdays() -> None:
    assert not calendar.is_workday(date(2026, 2, 17))
    assert calendar.is_workday(date(2026, 2, 14))
    assert calendar.is_workday(date(2026, 2, 28))


def test_a_year_without_a_known_schedule_is_refused() -> None:
    with pytest.raises(CalendarYearUnknown) as error:
        calendar.is_workday(date(2027, 3, 1))
    assert error.value.year == 2027


def test_operators_override_table_covers_a_new_year() -> None:
    overrides = {date(2027, 1, 1): False, date(2027, 2, 6): True}
    covered = WorkdayCalendar(overrides, override_years=frozenset({2027}))
    assert not covered.is_workday(date(2027, 1, 1))
    assert covered.is_workday(date(2027, 2, 6))  # a Saturday made a working day
    assert covered.is_workday(date(2027, 3, 1))
    assert not covered.is_workday(date(2027, 3, 6))


def test_workdays_between_counts_after_start_up_to_end() -> None:
    assert calendar.workdays_between(date(2026, 9, 30), date(2026, 10, 13)) == 5


@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31)),
    st.integers(min_value=1, max_value=30),
)
def test_a_deadline_never_falls_on_a_day_off(start: date, n: int) -> None:
    # Starts end in October 2026 so that 30 working days stay inside the years the library knows.
    deadline = calendar.add_workdays(start, n)
    assert calendar.is_workday(deadline)
    assert deadline - start >= timedelta(days=n)


def test_the_platform_table_loads_and_still_refuses_unknown_years() -> None:
    from sme_common.calendar import platform_calendar

    platform = platform_calendar()
    assert not platform.is_workday(date(2026, 10, 1))
    assert platform.is_workday(date(2026, 9, 20))  # a Sunday worked before National Day
    table_years = {int(y) for y in _platform_table()["years"]}
    unknown = next(y for y in range(2027, 2100) if y not in table_years)
    with pytest.raises(CalendarYearUnknown):
        platform.is_workday(date(unknown, 3, 1))


def test_an_override_table_year_needs_its_source_and_its_own_dates() -> None:
    from sme_common.calendar import overrides_from

    year = {"days_off": ["2027-02-08"], "make_up_workdays": ["2027-02-06"]}
    with pytest.raises(ValueError, match="source"):
        overrides_from({"years": {"2027": year}})
    with pytest.raises(ValueError, match="listed under 2028"):
        overrides_from({"years": {"2028": {**year, "source": "国办发明电〔2027〕x号"}}})
    covered = overrides_from({"years": {"2027": {**year, "source": "国办发明电〔2026〕x号"}}})
    assert not covered.is_workday(date(2027, 2, 8))
    assert covered.is_workday(date(2027, 2, 6))


def _platform_table() -> dict:  # type: ignore[type-arg]
    import json
    from importlib import resources

    raw = resources.files("sme_common.reference").joinpath("data/workday-overrides.json")
    return json.loads(raw.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
