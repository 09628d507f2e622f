"""The pure rules: transitions, per-province periods, calendars the library does not know."""

from __future__ import annotations

from datetime import date

import pytest

from sme_common.calendar import CalendarYearUnknown, WorkdayCalendar
from sme_complaints.cases import domain
from sme_complaints.cases.domain import CaseAction, CaseStatus, TransitionNotAllowed


def test_liaoning_reviews_within_seven_working_days_others_ten() -> None:
    rules = domain.deadline_rules()
    calendar = WorkdayCalendar()
    received = date(2026, 9, 23)
    assert rules.rule("accept", "210000").days == 7
    assert rules.rule("accept", "620000").days == 10
    # 24, 28, 29, 30 Sep, 8, 9, Sat 10 Oct (make-up day): the seventh working day.
    assert rules.rule("accept", "210000").due_on(received, calendar) == date(2026, 10, 10)
    assert rules.rule("accept", "620000").due_on(received, calendar) == date(2026, 10, 14)
    assert "802" in rules.rule("transfer", "210000").source


def test_deadlines_across_the_2026_spring_festival() -> None:
    rule = domain.deadline_rules().rule("transfer", "620000")
    # Spring Festival 2026: 15–23 Feb off, Sat 14 Feb and Sat 28 Feb worked: 13, 14, 24–28 Feb,
    # 2, 3, 4 Mar.
    assert rule.due_on(date(2026, 2, 12), WorkdayCalendar()) == date(2026, 3, 4)


def test_a_year_the_calendar_does_not_know_is_refused_not_guessed() -> None:
    rule = domain.deadline_rules().rule("accept", "620000")
    with pytest.raises(CalendarYearUnknown):
        rule.due_on(date(2027, 12, 20), WorkdayCalendar())
    overridden = WorkdayCalendar(
        overrides={date(2028, 1, 3): False}, override_years=frozenset({2027, 2028})
    )
    assert rule.due_on(date(2027, 12, 20), overridden) == date(2028, 1, 4)


def test_day_rules_count_calendar_days_and_the_extension_caps_at_ninety() -> None:
    rules = domain.deadline_rules()
    received = date(2026, 9, 28)
    assert rules.rule("handle", "620000").due_on(received, WorkdayCalendar()) == date(2026, 10, 28)
    assert rules.rule("handle_extended", "620000").due_on(received, WorkdayCalendar()) == date(
        2026, 12, 27
    )


def test_the_transition_table() -> None:
    assert domain.next_step(CaseStatus.RECEIVED, CaseAction.ACCEPT, paused=False).to_status is (
        CaseStatus.ACCEPTED
    )
    assert domain.next_step(CaseStatus.IN_HANDLING, CaseAction.RETURN, paused=False).to_status is (
        CaseStatus.ACCEPTED
    )
    for status, action in [
        (CaseStatus.RECEIVED, CaseAction.TRANSFER),
        (CaseStatus.TRANSFERRED, CaseAction.RESOLVE),
        (CaseStatus.VISITED, CaseAction.VISIT),
        (CaseStatus.NOT_ACCEPTED, CaseAction.ACCEPT),
        (CaseStatus.TRANSFERRED, CaseAction.PAUSE),
        (CaseStatus.RECEIVED, CaseAction.FILE),
    ]:
        with pytest.raises(TransitionNotAllowed):
            domain.next_step(status, action, paused=False)
    with pytest.raises(TransitionNotAllowed, match="resume"):
        domain.next_step(CaseStatus.RECEIVED, CaseAction.ACCEPT, paused=True)
    closed = domain.next_step(CaseStatus.RECEIVED, CaseAction.CLOSE, paused=True)
    assert closed.to_status is CaseStatus.CLOSED


def test_routing_follows_the_respondents_place_and_type() -> None:
    routing = domain.routing()
    assert routing.route("government_body", "620102", "620100").id == "gs-620100-gov"
    assert routing.route("large_enterprise", "620102", "620100").id == "gs-620100-sme"
    assert routing.route("public_institution", "620000", None).id == "gs-province-sme"
    assert routing.escalation_of("gs-620100-gov") == "gs-province-sme"
    assert routing.escalation_of("gs-province-sme") == "provincial_government"
