"""Payment terms and late interest: worked examples (policy-facts §2.1; 802号 第九、十、十七条,
728号 第八、九、十五条)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from sme_common.calendar import overrides_from, platform_calendar
from sme_common.rules import RuleViolation
from sme_common.testing.plugin import TokenFactory
from sme_complaints.terms.domain import (
    ContractFacts,
    Evaluation,
    InterestBasis,
    PaymentBasis,
    RespondentType,
    lpr_table,
    regulation_on,
)
from sme_complaints.terms.domain import evaluate as evaluate_on

CALENDAR = platform_calendar()

GOV = RespondentType.GOVERNMENT_BODY
INST = RespondentType.PUBLIC_INSTITUTION
LARGE = RespondentType.LARGE_ENTERPRISE
D = date.fromisoformat


def evaluate(facts: ContractFacts, as_of: date) -> Evaluation:
    return evaluate_on(facts, as_of, CALENDAR)


# (name, facts, as_of, regulation, term_days, starts_on, due_on, days_overdue, basis, interest_fen)
CASES = [
    (
        "government, 30 days from delivery, 0.05% a day: 1,000,000 yuan × 30 days = 15,000 yuan",
        ContractFacts(GOV, D("2025-06-15"), PaymentBasis.DELIVERY, 100_000_000, D("2025-07-01")),
        D("2025-08-30"),
        "sc_802_2025",
        30,
        D("2025-07-01"),
        D("2025-07-31"),
        30,
        InterestBasis.STATUTORY_DAILY,
        1_500_000,
    ),
    (
        "public institution, agreed 90 days capped at 60; 12,345,678 fen × 0.0005 × 10 = 61,728.39",
        ContractFacts(
            INST,
            D("2025-07-01"),
            PaymentBasis.DELIVERY,
            12_345_678,
            D("2025-07-10"),
            agreed_term_days=90,
        ),
        D("2025-09-18"),
        "sc_802_2025",
        60,
        D("2025-07-10"),
        D("2025-09-08"),
        10,
        InterestBasis.STATUTORY_DAILY,
        61_728,
    ),
    (
        "public institution, agreed 45 days under the 2020 regulation: day 45 is Saturday 24 "
        "April 2021, the last day the next working day, Sunday 25 April (a make-up working day)",
        ContractFacts(
            INST,
            D("2021-03-01"),
            PaymentBasis.DELIVERY,
            2_000_000,
            D("2021-03-10"),
            agreed_term_days=45,
        ),
        D("2021-05-04"),
        "sc_728_2020",
        45,
        D("2021-03-10"),
        D("2021-04-25"),
        9,
        InterestBasis.STATUTORY_DAILY,
        9_000,
    ),
    (
        "large enterprise 2025, 60 days to Saturday 9 August, moved to Monday 11; agreed 2.00% "
        "below the LPR 3.00%: 1e8 × 3% × 8 / 360",
        ContractFacts(
            LARGE,
            D("2025-06-01"),
            PaymentBasis.DELIVERY,
            100_000_000,
            D("2025-06-10"),
            agreed_annual_rate_percent=Decimal("2.00"),
        ),
        D("2025-08-19"),
        "sc_802_2025",
        60,
        D("2025-06-10"),
        D("2025-08-11"),
        8,
        InterestBasis.LPR_FLOOR,
        66_667,
    ),
    (
        "large enterprise 2020, agreed 90 days to Saturday 30 December 2023, past the weekend and "
        "New Year's Day to 2 January 2024; 6% (above the LPR 3.45%): 5e7 × 6% × 27 / 360",
        ContractFacts(
            LARGE,
            D("2023-09-01"),
            PaymentBasis.DELIVERY,
            50_000_000,
            D("2023-10-01"),
            agreed_term_days=90,
            agreed_annual_rate_percent=Decimal("6"),
        ),
        D("2024-01-29"),
        "sc_728_2020",
        90,
        D("2023-10-01"),
        D("2024-01-02"),
        27,
        InterestBasis.AGREED,
        225_000,
    ),
    (
        "acceptance not done within the agreed 15 days: the term runs from the period's end",
        ContractFacts(
            GOV,
            D("2025-07-01"),
            PaymentBasis.ACCEPTANCE,
            100_000_000,
            D("2025-08-01"),
            inspection_period_days=15,
        ),
        D("2025-10-15"),
        "sc_802_2025",
        30,
        D("2025-08-16"),
        D("2025-09-15"),
        30,
        InterestBasis.STATUTORY_DAILY,
        1_500_000,
    ),
    (
        "acceptance after the agreed period counts from the period's end, not the late acceptance",
        ContractFacts(
            GOV,
            D("2025-07-01"),
            PaymentBasis.ACCEPTANCE,
            100_000_000,
            D("2025-08-01"),
            inspection_period_days=15,
            accepted_on=D("2025-09-01"),
        ),
        D("2025-10-15"),
        "sc_802_2025",
        30,
        D("2025-08-16"),
        D("2025-09-15"),
        30,
        InterestBasis.STATUTORY_DAILY,
        1_500_000,
    ),
    (
        "acceptance within the agreed period: the term runs from acceptance",
        ContractFacts(
            GOV,
            D("2025-07-01"),
            PaymentBasis.ACCEPTANCE,
            100_000_000,
            D("2025-08-01"),
            inspection_period_days=15,
            accepted_on=D("2025-08-10"),
        ),
        D("2025-10-15"),
        "sc_802_2025",
        30,
        D("2025-08-10"),
        D("2025-09-09"),
        36,
        InterestBasis.STATUTORY_DAILY,
        1_800_000,
    ),
    (
        "settlement: from the confirmed amount; 1,000 fen × 0.0005 = 0.5 fen rounds half up to 1",
        ContractFacts(
            LARGE,
            D("2025-07-01"),
            PaymentBasis.SETTLEMENT,
            1_000,
            settlement_confirmed_on=D("2025-07-20"),
            agreed_term_days=30,
        ),
        D("2025-08-20"),
        "sc_802_2025",
        30,
        D("2025-07-20"),
        D("2025-08-19"),
        1,
        InterestBasis.STATUTORY_DAILY,
        1,
    ),
    (
        "999 fen × 0.0005 = 0.4995 fen rounds down to 0",
        ContractFacts(
            LARGE,
            D("2025-07-01"),
            PaymentBasis.SETTLEMENT,
            999,
            settlement_confirmed_on=D("2025-07-20"),
            agreed_term_days=30,
        ),
        D("2025-08-20"),
        "sc_802_2025",
        30,
        D("2025-07-20"),
        D("2025-08-19"),
        1,
        InterestBasis.STATUTORY_DAILY,
        0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_worked_examples(case: tuple) -> None:  # type: ignore[type-arg]
    _name, facts, as_of, regulation, term, starts, due, overdue, basis, interest = case
    result = evaluate(facts, as_of)
    assert result.regulation.code == regulation
    assert result.term_days == term
    assert result.term_starts_on == starts
    assert result.due_on == due
    assert result.days_overdue == overdue
    assert result.interest is not None
    assert result.interest.basis is basis
    assert result.interest.interest_fen == interest
    assert all(line.zh and line.en for line in result.explanation)


def test_not_overdue_on_the_last_day_and_no_interest() -> None:
    facts = ContractFacts(GOV, D("2025-06-15"), PaymentBasis.DELIVERY, 100_000_000, D("2025-07-01"))
    on_due = evaluate(facts, D("2025-07-31"))
    assert (on_due.due_on, on_due.days_overdue, on_due.interest) == (D("2025-07-31"), 0, None)
    assert evaluate(facts, D("2025-08-01")).days_overdue == 1


def test_acceptance_still_in_time_has_no_due_date_yet() -> None:
    facts = ContractFacts(
        GOV,
        D("2025-07-01"),
        PaymentBasis.ACCEPTANCE,
        100,
        D("2025-08-01"),
        inspection_period_days=15,
    )
    result = evaluate(facts, D("2025-08-16"))
    assert (result.due_on, result.days_overdue, result.interest) == (None, 0, None)
    assert result.explanation[-1].code == "start_pending_acceptance"
    assert evaluate(facts, D("2025-08-17")).term_starts_on == D("2025-08-16")


def test_large_enterprise_agreed_term_prevails_under_2025_and_is_flagged_when_longer() -> None:
    facts = ContractFacts(
        LARGE,
        D("2025-07-01"),
        PaymentBasis.DELIVERY,
        100,
        D("2025-07-01"),
        agreed_term_days=90,
        back_to_back_clause=True,
    )
    result = evaluate(facts, D("2025-09-29"))
    assert result.term_days == 90 and result.due_on == D("2025-09-29")
    codes = [line.code for line in result.explanation]
    assert "term_large_longer_than_default" in codes and "back_to_back_forbidden" in codes


@pytest.mark.parametrize(
    ("signed", "code"),
    [("2025-05-31", "sc_728_2020"), ("2025-06-01", "sc_802_2025"), ("2020-09-01", "sc_728_2020")],
)
def test_the_version_follows_the_signing_date(signed: str, code: str) -> None:
    assert regulation_on(D(signed)).code == code


@pytest.mark.parametrize(
    ("facts", "as_of", "code"),
    [
        (
            ContractFacts(GOV, D("2020-08-31"), PaymentBasis.DELIVERY, 1, D("2020-09-10")),
            D("2021-01-01"),
            "regulation_not_in_force",
        ),
        (
            ContractFacts(LARGE, D("2025-05-31"), PaymentBasis.DELIVERY, 1, D("2025-06-10")),
            D("2025-12-01"),
            "agreed_term_required",
        ),
        (
            ContractFacts(GOV, D("2025-07-01"), PaymentBasis.DELIVERY, 1),
            D("2025-12-01"),
            "delivered_on_required",
        ),
        (
            ContractFacts(GOV, D("2025-07-01"), PaymentBasis.SETTLEMENT, 1),
            D("2025-12-01"),
            "settlement_confirmed_on_required",
        ),
        (
            ContractFacts(GOV, D("2025-07-01"), PaymentBasis.ACCEPTANCE, 1, D("2025-07-02")),
            D("2025-12-01"),
            "inspection_period_required",
        ),
        (
            ContractFacts(
                GOV,
                D("2025-07-01"),
                PaymentBasis.ACCEPTANCE,
                1,
                D("2025-07-02"),
                inspection_period_days=5,
                accepted_on=D("2025-07-01"),
            ),
            D("2025-12-01"),
            "accepted_before_delivery",
        ),
        (
            ContractFacts(
                LARGE,
                D("2026-01-10"),
                PaymentBasis.DELIVERY,
                1,
                D("2026-01-10"),
                agreed_annual_rate_percent=Decimal("5"),
            ),
            D("2026-06-01"),
            "lpr_not_known",
        ),
    ],
)
def test_what_cannot_be_determined_is_refused(facts: ContractFacts, as_of: date, code: str) -> None:
    with pytest.raises(RuleViolation) as raised:
        evaluate(facts, as_of)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        ("2019-08-20", "4.25"),
        ("2020-04-19", "4.05"),
        ("2020-04-20", "3.85"),
        ("2021-12-19", "3.85"),
        ("2021-12-20", "3.80"),
        ("2025-06-01", "3.00"),
    ],
)
def test_the_lpr_in_force_on_a_day(day: str, rate: str) -> None:
    assert lpr_table().on(D(day)).rate_percent == Decimal(rate)


def test_the_lpr_table_refuses_days_it_does_not_cover() -> None:
    for day in ("2019-08-19", "2026-01-01"):
        with pytest.raises(RuleViolation):
            lpr_table().on(D(day))


BODY = {
    "respondent_type": "government_body",
    "contract_signed_on": "2025-07-01",
    "payment_basis": "acceptance",
    "delivered_on": "2025-08-01",
    "inspection_period_days": 15,
    "amount_owed_fen": 100_000_000,
    "as_of": "2025-10-15",
}
PATH = "/api/complaints/v1/payment-terms/evaluate"


async def test_the_api_answers_with_due_date_interest_and_explanation(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    response = await client.post(
        PATH, json=BODY, headers=bearer("hotline", region="620000", scopes=("complaints:read",))
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["due_on"] == "2025-09-15"
    assert body["days_overdue"] == 30
    assert body["interest_fen"] == 1_500_000
    assert body["regulation"]["code"] == "sc_802_2025"
    assert body["explanation"][0]["zh"].startswith("合同订立于")


async def test_the_api_refuses_bad_facts_and_foreign_roles(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    officer = bearer("city_officer", region="620100")
    refused = await client.post(
        PATH, json={**BODY, "inspection_period_days": None, "accepted_on": None}, headers=officer
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "inspection_period_required"
    out_of_range = await client.post(PATH, json={**BODY, "as_of": "9999-12-31"}, headers=officer)
    assert out_of_range.status_code == 422
    no_scope = await client.post(PATH, json=BODY, headers=bearer("hotline", region="620000"))
    assert no_scope.status_code == 403
    bank = await client.post(
        PATH, json=BODY, headers=bearer("bank", region="620000", scopes=("complaints:read",))
    )
    assert bank.status_code == 403


def test_a_last_day_off_moves_to_the_next_working_day_and_says_why() -> None:
    # Day 30 after 1 September 2026 is Thursday 1 October (National Day, off to 7 October); the
    # next working day is Thursday 8 October, not Saturday 10 October (a make-up working day).
    facts = ContractFacts(GOV, D("2026-08-01"), PaymentBasis.DELIVERY, 1_000_000, D("2026-09-01"))
    result = evaluate(facts, D("2026-10-09"))
    assert result.due_on == D("2026-10-08")
    assert result.days_overdue == 1
    moved = [line for line in result.explanation if line.code == "due_moved_off_day_off"]
    assert len(moved) == 1
    assert "2026-10-01" in moved[0].en and "2026-10-08" in moved[0].zh
    assert "第二百零三条" in moved[0].zh


def test_a_last_day_in_a_year_the_calendar_does_not_know_is_refused_not_guessed() -> None:
    # Day 30 after 15 December 2026 is 14 January 2027: whether it is a working day is not known.
    facts = ContractFacts(GOV, D("2026-11-01"), PaymentBasis.DELIVERY, 1_000_000, D("2026-12-15"))
    with pytest.raises(RuleViolation) as refused:
        evaluate(facts, D("2026-12-20"))
    assert (refused.value.code, refused.value.field) == ("calendar_year_unknown", "delivered_on")
    covered = overrides_from(
        {"years": {"2027": {"source": "a notice for the test", "days_off": ["2027-01-14"]}}}
    )
    assert evaluate_on(facts, D("2027-01-20"), covered).due_on == D("2027-01-15")
