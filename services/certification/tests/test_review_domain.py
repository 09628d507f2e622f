"""The pure rules of the review after the provincial one: expert draws and their exclusions, the
mean score's rounding, the notice's last day, and the decision's holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sme_certification.applications.domain import (
    ApplicationStatus,
    DecisionHeld,
    FinalAction,
    NoticeState,
    TransitionNotAllowed,
    decide_final,
)
from sme_certification.experts.domain import Candidate, draw, mean_score, overall_score
from sme_certification.notices.domain import NoticeLength, NoticeUnit, last_day
from sme_common.calendar import WorkdayCalendar
from sme_common.rules import RuleViolation

USCC = "91620102MA0000007Y"
POOL = [
    Candidate("home", "620102", frozenset()),
    Candidate("conflict", "620502", frozenset({USCC})),
    *(Candidate(f"e{i}", "620502", frozenset()) for i in range(6)),
]


def test_draws_never_pick_the_applicants_county_or_a_declared_conflict() -> None:
    seen: set[str] = set()
    for _ in range(200):
        chosen = draw(POOL, region_code="620102", uscc=USCC, count=3)
        assert len(set(chosen)) == 3
        seen.update(chosen)
    assert seen == {f"e{i}" for i in range(6)}  # random over every eligible expert, no other


def test_too_few_eligible_experts_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        draw(POOL, region_code="620102", uscc=USCC, count=7)
    assert refused.value.code == "experts_too_few"


@pytest.mark.parametrize(
    ("scores", "mean"),
    [
        (["80", "85", "90.5"], "85.17"),
        (["70", "70", "70.01"], "70.00"),
        (["60.005"], "60.01"),  # half up
        (["0", "100"], "50.00"),
    ],
)
def test_the_mean_is_rounded_half_up_to_two_places(scores: list[str], mean: str) -> None:
    assert mean_score([Decimal(s) for s in scores]) == Decimal(mean)


def test_an_overall_score_or_criteria_never_both_and_within_100() -> None:
    assert overall_score(None, {"a": Decimal("40"), "b": Decimal("45.5")}) == Decimal("85.50")
    for score, criteria, code in (
        (Decimal(1), {"a": Decimal(1)}, "score_or_criteria"),
        (None, None, "score_or_criteria"),
        (None, {"a": Decimal(60), "b": Decimal(50)}, "score_out_of_range"),
    ):
        with pytest.raises(RuleViolation) as refused:
            overall_score(score, criteria)
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("starts_on", "rule", "ends_on"),
    [
        # 端午节 2026: 19 June (Fri) off, then the weekend.
        (date(2026, 6, 15), NoticeLength(5, NoticeUnit.WORKING_DAYS, "", False), date(2026, 6, 22)),
        # Starting on a Sunday: day 1 is Monday.
        (date(2026, 6, 14), NoticeLength(1, NoticeUnit.WORKING_DAYS, "", False), date(2026, 6, 15)),
        # 国庆 2026: 1–7 October off; 10 October (Sat) is a 调休 working day.
        (date(2026, 9, 30), NoticeLength(3, NoticeUnit.WORKING_DAYS, "", False), date(2026, 10, 9)),
        (date(2026, 6, 15), NoticeLength(7, NoticeUnit.CALENDAR_DAYS, "", True), date(2026, 6, 21)),
    ],
)
def test_the_notice_last_day(starts_on: date, rule: NoticeLength, ends_on: date) -> None:
    assert last_day(starts_on, rule, WorkdayCalendar()) == ends_on


def test_the_decision_waits_for_the_notice_and_its_objections() -> None:
    noticed = ApplicationStatus.UNDER_NOTICE
    for state, code in (
        (NoticeState(ended=False, open_objections=0), "notice_running"),
        (NoticeState(ended=True, open_objections=1), "objection_open"),
    ):
        with pytest.raises(DecisionHeld) as held:
            decide_final(noticed, FinalAction.GRANT, classified=False, notice=state)
        assert held.value.code == code
    ended = NoticeState(ended=True, open_objections=0)
    assert decide_final(noticed, FinalAction.GRANT, classified=False, notice=ended) is (
        ApplicationStatus.GRANTED
    )
    scored = ApplicationStatus.EXPERT_SCORED
    with pytest.raises(DecisionHeld):
        decide_final(scored, FinalAction.GRANT, classified=False, notice=None)
    assert decide_final(scored, FinalAction.GRANT, classified=True, notice=None) is (
        ApplicationStatus.GRANTED
    )
    assert decide_final(scored, FinalAction.REJECT, classified=False, notice=None) is (
        ApplicationStatus.REJECTED
    )
    for status in (ApplicationStatus.PROVINCIALLY_REVIEWED, ApplicationStatus.GRANTED):
        with pytest.raises(TransitionNotAllowed):
            decide_final(status, FinalAction.REJECT, classified=True, notice=None)
