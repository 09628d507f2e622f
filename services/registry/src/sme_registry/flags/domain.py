"""Credit flags (信用标记) that block titles and payments.

The 2026 measures and the provincial rules exclude enterprises on the serious-dishonesty list, with a
major safety, quality or environment accident in the last three years, or found to have falsified
data (seed 003: 提供虚假信息, 近三年发生重大安全/质量/环境事故, 严重失信); the abnormal-operations
list (经营异常名录) is kept because banks and reviewers ask for it.
"""

from __future__ import annotations

import enum
from datetime import date

from sme_common.rules import RuleViolation


class FlagKind(enum.StrEnum):
    ABNORMAL_OPERATIONS = "abnormal_operations"  # 经营异常名录
    SERIOUS_DISHONESTY = "serious_dishonesty"  # 严重失信主体名单
    MAJOR_ACCIDENT = "major_accident"  # 重大安全、质量、环境事故
    DATA_FALSIFICATION = "data_falsification"  # 数据造假 / 虚假申报 (3-year ban)


def is_active(started_on: date, ended_on: date | None, today: date) -> bool:
    """In force from its start date up to, not including, its end date."""
    return started_on <= today and (ended_on is None or today < ended_on)


def check_period(started_on: date, ended_on: date | None, today: date) -> None:
    if started_on > today:
        raise RuleViolation(
            "started_on_in_future",
            "a flag cannot start in the future",
            "标记开始日期不能晚于今天",
            field="started_on",
        )
    if ended_on is not None and ended_on < started_on:
        raise RuleViolation(
            "ended_before_started",
            "a flag cannot end before it starts",
            "标记结束日期不能早于开始日期",
            field="ended_on",
        )
