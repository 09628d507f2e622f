"""The business clock: one "now" for the process, business days in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sme_common import clock
from sme_common.db import utcnow
from sme_common.rules import RuleViolation


def test_the_business_day_is_the_shanghai_date_of_the_instant() -> None:
    assert clock.business_day(datetime(2026, 1, 1, 15, 59, tzinfo=UTC)) == date(2026, 1, 1)
    assert clock.business_day(datetime(2026, 1, 1, 16, 0, tzinfo=UTC)) == date(2026, 1, 2)


def test_a_business_day_ends_at_the_next_shanghai_midnight() -> None:
    end = clock.end_of_business_day(date(2025, 12, 31))
    assert end == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert clock.business_day(end - timedelta(microseconds=1)) == date(2025, 12, 31)


def test_a_fixed_clock_is_what_every_reader_of_the_time_sees_until_the_block_ends() -> None:
    at = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=8)))
    with clock.use_clock(clock.FixedClock(at)) as fixed:
        assert clock.now() == at and clock.now().tzinfo is UTC
        assert utcnow() == at  # the database layer's "now" is the same clock
        assert clock.business_today() == date(2026, 3, 1)
        assert isinstance(fixed, clock.FixedClock)
        fixed.advance(timedelta(minutes=31))
        assert clock.business_today() == date(2026, 3, 2)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_fixed_clock_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone"):
        clock.FixedClock(datetime(2026, 1, 1))


def test_a_day_after_the_business_today_is_refused_with_the_fields_code() -> None:
    with clock.use_clock(clock.FixedClock(datetime(2026, 5, 31, 17, 0, tzinfo=UTC))):
        clock.check_not_future(date(2026, 6, 1), "as_of")  # already 1 June in Shanghai
        with pytest.raises(RuleViolation) as refused:
            clock.check_not_future(date(2026, 6, 2), "as_of")
    assert (refused.value.code, refused.value.field) == ("as_of_in_future", "as_of")
    assert "2026-06-01" in refused.value.detail and refused.value.detail_zh
