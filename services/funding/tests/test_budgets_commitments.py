"""The API other modules call inside their transaction: commit, release, payment, failure,
recovery; every refusal leaves the budget and the ledger as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import pytest_asyncio

from services.funding.tests.budget_support import LANZHOU, allocate, create_fund
from sme_common.db import UnitOfWork
from sme_common.errors import Conflict, DomainError
from sme_common.rules import RuleViolation
from sme_common.testing.plugin import TokenFactory
from sme_funding.budgets import service as budgets
from sme_funding.budgets.domain import CommitmentStatus
from sme_funding.ledger.service import check_ledger

TERMS = {"fund_code": "sme-development-fund", "year": 2026, "region_code": LANZHOU}
PAID_ON = date(2026, 6, 20)


@pytest_asyncio.fixture
async def uow(client: httpx.AsyncClient, bearer: TokenFactory) -> AsyncIterator[UnitOfWork]:
    """A fund of 10 000 000 fen, 1 000 000 of it allocated to 兰州; a unit of work on it whose
    ledger is checked after each test."""
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province, total_fen=10_000_000)
    assert (await allocate(client, province, fund["id"], LANZHOU, 1_000_000)).status_code == 201
    async with UnitOfWork(client.app.state.database) as unit:  # type: ignore[attr-defined]
        yield unit
        report = await check_ledger(unit.session)
        assert report.ok, report.as_dict()


async def test_a_county_is_paid_from_its_city_s_allocation(uow: UnitOfWork) -> None:
    made = await budgets.commit(
        uow, **{**TERMS, "region_code": "620102"}, amount_fen=1, subject_ref="e1", actor="t"
    )
    assert made.region_code == LANZHOU
    again = await budgets.commit(uow, **TERMS, amount_fen=1, subject_ref="e1", actor="t")
    assert again == made


@pytest.mark.parametrize(
    ("terms", "amount", "code"),
    [
        ({**TERMS, "fund_code": "other-fund"}, 1, "fund_not_found"),
        ({**TERMS, "year": 2025}, 1, "fund_not_found"),
        ({**TERMS, "region_code": "620200"}, 1, "allocation_missing"),
        ({**TERMS, "region_code": "629999"}, 1, "allocation_region_invalid"),
        (TERMS, 0, "amount_invalid"),
        (TERMS, -5, "amount_invalid"),
        (TERMS, 1_000_001, "budget_exhausted"),
    ],
)
async def test_a_commitment_that_cannot_be_made_writes_nothing(
    uow: UnitOfWork, terms: dict[str, object], amount: int, code: str
) -> None:
    with pytest.raises((DomainError, RuleViolation)) as refused:
        await budgets.commit(uow, **terms, amount_fen=amount, subject_ref="e1", actor="t")  # type: ignore[arg-type]
    assert refused.value.code == code
    assert await budgets.get_commitment(uow, "e1") is None


async def test_a_payment_never_exceeds_what_is_unpaid(uow: UnitOfWork) -> None:
    await budgets.commit(uow, **TERMS, amount_fen=500, subject_ref="e1", actor="t")
    await budgets.record_payment(uow, "e1", 300, PAID_ON, "b1")
    with pytest.raises(Conflict) as refused:
        await budgets.record_payment(uow, "e1", 201, PAID_ON, "b2")
    assert refused.value.code == "payment_exceeds_commitment"
    paid = await budgets.record_payment(uow, "e1", 200, PAID_ON, "b2")
    assert (paid.paid_fen, paid.outstanding_fen) == (500, 0)


async def test_a_failed_payment_keeps_the_commitment_for_the_next_batch(uow: UnitOfWork) -> None:
    await budgets.commit(uow, **TERMS, amount_fen=500, subject_ref="e1", actor="t")
    failed = await budgets.record_payment_failure(uow, "e1", "b1", "账户已注销", PAID_ON)
    assert failed.status is CommitmentStatus.COMMITTED
    assert (failed.paid_fen, failed.outstanding_fen, failed.last_failure_reason) == (
        0,
        500,
        "账户已注销",
    )
    paid = await budgets.record_payment(uow, "e1", 500, date(2026, 7, 1), "b2")
    assert paid.last_failure_reason is None
    assert paid.paid_fen == 500


async def test_release_returns_only_the_unpaid_part_once(uow: UnitOfWork) -> None:
    await budgets.commit(uow, **TERMS, amount_fen=500, subject_ref="e1", actor="t")
    await budgets.record_payment(uow, "e1", 200, PAID_ON, "b1")
    released = await budgets.release(uow, "e1", "t")
    assert released.status is CommitmentStatus.RELEASED
    assert await budgets.release(uow, "e1", "t") == released
    with pytest.raises(Conflict) as refused:
        await budgets.record_payment(uow, "e1", 1, PAID_ON, "b2")
    assert refused.value.code == "commitment_released"
    with pytest.raises(Conflict) as again:
        await budgets.commit(uow, **TERMS, amount_fen=500, subject_ref="e1", actor="t")
    assert again.value.code == "commitment_released"
    # 999 800 is free again: 200 stays spent.
    await budgets.commit(uow, **TERMS, amount_fen=999_800, subject_ref="e2", actor="t")
    with pytest.raises(Conflict):
        await budgets.commit(uow, **TERMS, amount_fen=1, subject_ref="e3", actor="t")


async def test_recovery_is_bounded_by_what_was_paid_and_ordered_back(uow: UnitOfWork) -> None:
    await budgets.commit(uow, **TERMS, amount_fen=500, subject_ref="e1", actor="t")
    with pytest.raises(Conflict) as unpaid:
        await budgets.raise_recovery(uow, "e1", 1, PAID_ON, "r1")
    assert unpaid.value.code == "recovery_exceeds_paid"
    await budgets.record_payment(uow, "e1", 500, PAID_ON, "b1")
    await budgets.raise_recovery(uow, "e1", 400, PAID_ON, "r1")
    assert (await budgets.raise_recovery(uow, "e1", 400, PAID_ON, "r1")).recovery_raised_fen == 400
    with pytest.raises(Conflict) as beyond:
        await budgets.record_recovery(uow, "e1", 401, PAID_ON, "c1")
    assert beyond.value.code == "recovery_exceeds_raised"
    done = await budgets.record_recovery(uow, "e1", 400, PAID_ON, "c1")
    assert (done.recovered_fen, done.recovery_raised_fen, done.paid_fen) == (400, 400, 500)
    assert await budgets.record_recovery(uow, "e1", 400, PAID_ON, "c1") == done


async def test_operations_on_an_unknown_subject_are_not_found(uow: UnitOfWork) -> None:
    for call in (
        budgets.release(uow, "nobody", "t"),
        budgets.record_payment(uow, "nobody", 1, PAID_ON, "b1"),
        budgets.record_recovery(uow, "nobody", 1, PAID_ON, "c1"),
    ):
        with pytest.raises(DomainError) as missing:
            await call
        assert missing.value.code == "commitment_not_found"
