"""An award from the certificate to the bank and back, across services on the embedded platform
(real PostgreSQL, the real broker, the services' own consumers and workers): a provincial 专精特新
title granted by certification becomes, without any application (直达快享, 甘工信发〔2023〕128号
(二十四)), Gansu's 30万 award in funding; the 市州 reviews and the province approves it (the budget
committed), a payment batch takes it to the bank, the bank's result is posted and the batch
reconciles with the ledger; registry's profile shows the approval and the payment. The title is
then revoked for false declaration: funding raises a recovery order for the paid award, registry
records the 3-year ban and the clawback, the money comes back and the ledger still adds up."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sme_common.clock import FixedClock, use_clock
from sme_common.db.engine import Database
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from sme_funding.ledger.service import run_check
from tests.conftest import uscc_for
from tests.harness import Platform, embedded_platform, eventually

pytestmark = pytest.mark.slow

Headers = dict[str, str]
CERTIFICATION = "/api/certification/v1"
REGISTRY = "/api/registry/v1"
FUNDING = "/api/funding/v1"
AWARD_FEN = 30_000_000  # 30万元 for a first provincial 专精特新 title, 甘工信发〔2023〕128号 (二)


@pytest.fixture
def june_2026() -> Iterator[FixedClock]:
    with use_clock(FixedClock(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    await eventually(check, timeout_s=60)


async def run_award_flow(platform: Platform, bearer: TokenFactory) -> None:
    province = bearer("province_officer", region="620000")
    director = bearer("province_officer", region="620000", subject="test:director-general")
    lanzhou = bearer("city_officer", region="620100")
    treasury = bearer("agency_system", region="620000", scopes=("funding:read", "funding:write"))
    uscc = uscc_for(secrets.randbelow(900_000) + 1)
    funding_db = Database.from_url(platform.database_urls["funding"])
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        ok(
            await client.post(
                f"{REGISTRY}/enterprises",
                json={"uscc": uscc, "name": "兰州精工机械有限公司", "region_code": "620102"},
                headers=province,
            ),
            201,
        )

        async def funding_knows_it() -> bool:
            seen = await client.get(f"{FUNDING}/enterprises/{uscc}", headers=province)
            return seen.status_code == 200

        await until(funding_knows_it)
        fund = ok(
            await client.post(
                f"{FUNDING}/funds",
                json={
                    "code": "sme-development-fund",
                    "name": "2026年省级中小企业发展专项资金",
                    "source_kind": "provincial",
                    "year": 2026,
                    "province_code": "620000",
                    "total_fen": 5_000_000_000,
                },
                headers=province,
            ),
            201,
        )
        ok(
            await client.put(
                f"{FUNDING}/funds/{fund['id']}/allocations/620100",
                json={"amount_fen": 1_000_000_000},
                headers=province,
            ),
            201,
        )

        certificate = ok(
            await client.post(
                f"{CERTIFICATION}/certificates",
                json={
                    "uscc": uscc,
                    "tier": "specialised",
                    "level": "provincial",
                    "issued_on": "2026-06-10",
                },
                headers=province,
            ),
            201,
        )

        async def entitled() -> bool:
            found = await client.get(
                f"{FUNDING}/entitlements", params={"uscc": uscc}, headers=province
            )
            return found.status_code == 200 and len(found.json()["items"]) == 1

        await until(entitled)
        [entitlement] = ok(
            await client.get(f"{FUNDING}/entitlements", params={"uscc": uscc}, headers=province)
        )["items"]
        assert (entitlement["amount_fen"], entitlement["status"]) == (AWARD_FEN, "pending_approval")
        assert entitlement["certificate_id"] == certificate["id"]

        # The 市州 reviews, the province approves: the maker never approves their own.
        path = f"{FUNDING}/entitlements/{entitlement['id']}/approval/steps"
        reviewed = ok(
            await client.post(
                path,
                json={
                    "action": "approve",
                    "remarks": "材料齐全",
                    "version": entitlement["version"],
                },
                headers=lanzhou,
            )
        )
        approved = ok(
            await client.post(
                path,
                json={"action": "approve", "remarks": "同意", "version": reviewed["version"]},
                headers=director,
            )
        )
        current = ok(
            await client.get(f"{FUNDING}/entitlements/{entitlement['id']}", headers=province)
        )
        assert current["status"] == "approved", (approved, current)

        # The batch goes to the bank; the bank's result comes back; the batch reconciles.
        batch = ok(
            await client.post(
                f"{FUNDING}/payment-batches",
                json={"fund_code": "sme-development-fund", "year": 2026, "region": "620100"},
                headers=lanzhou,
            ),
            201,
        )
        assert [line["entitlement_id"] for line in batch["lines"]] == [entitlement["id"]]
        assert batch["control"] == {"count": 1, "sum_fen": AWARD_FEN}
        sealed = ok(
            await client.post(
                f"{FUNDING}/payment-batches/{batch['id']}/seal",
                json={"version": batch["version"]},
                headers=lanzhou,
            )
        )
        exported = await client.get(
            f"{FUNDING}/payment-batches/{batch['id']}/export.csv", headers=treasury
        )
        assert exported.status_code == 200, exported.text
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert any(uscc in row for row in rows), rows
        ok(
            await client.post(
                f"{FUNDING}/payment-batches/{batch['id']}/results",
                json={
                    "results": [
                        {
                            "line_id": sealed["lines"][0]["id"],
                            "outcome": "paid",
                            "paid_on": "2026-06-10",
                            "bank_reference": "ICBC-20260610-0001",
                        }
                    ]
                },
                headers=treasury,
            )
        )
        reconciliation = ok(
            await client.get(
                f"{FUNDING}/payment-batches/{batch['id']}/reconciliation", headers=province
            )
        )
        assert reconciliation["balanced"] is True and reconciliation["differences"] == []
        assert reconciliation["status"] == "reconciled"
        assert reconciliation["ledger"] == {"count": 1, "sum_fen": AWARD_FEN}

        async def profile_shows(*kinds: str) -> bool:
            profile = await client.get(f"{REGISTRY}/enterprises/{uscc}/profile", headers=province)
            if profile.status_code != 200:
                return False
            seen = {entry["kind"] for entry in profile.json()["support_history"]}
            return set(kinds) <= seen

        await until(lambda: profile_shows("entitlement_approved", "payment_settled"))

        # Revoked for false declaration: the paid award is to be recovered.
        ok(
            await client.post(
                f"{CERTIFICATION}/certificates/{certificate['id']}/revocation",
                json={
                    "reason": "false_declaration",
                    "revoked_on": "2026-06-10",
                    "note": "研发费用数据造假",
                },
                headers=province,
            )
        )

        async def recovery_raised() -> bool:
            orders = await client.get(
                f"{FUNDING}/recovery-orders", params={"uscc": uscc}, headers=province
            )
            return orders.status_code == 200 and len(orders.json()["items"]) == 1

        await until(recovery_raised)
        [order] = ok(
            await client.get(f"{FUNDING}/recovery-orders", params={"uscc": uscc}, headers=province)
        )["items"]
        assert (order["entitlement_id"], order["amount_fen"]) == (entitlement["id"], AWARD_FEN)
        assert order["status"] == "open"
        received = ok(
            await client.post(
                f"{FUNDING}/recovery-orders/{order['id']}/receipts",
                json={
                    "amount_fen": AWARD_FEN,
                    "received_on": "2026-06-10",
                    "receipt_ref": "GK-2026-000123",
                },
                headers=province,
            ),
            201,
        )
        assert received["status"] == "recovered", received

        async def banned_and_recovered() -> bool:
            profile = await client.get(f"{REGISTRY}/enterprises/{uscc}/profile", headers=province)
            if profile.status_code != 200:
                return False
            body = profile.json()
            flags = {flag["kind"] for flag in body["flags"]}
            kinds = {entry["kind"] for entry in body["support_history"]}
            return (
                "data_falsification" in flags
                and {
                    "clawback_raised",
                    "clawback_recovered",
                }
                <= kinds
            )

        await until(banned_and_recovered)
    check = await run_check(funding_db)
    await funding_db.dispose()
    assert check.ok, check


async def test_an_award_from_the_certificate_to_the_bank_and_back(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
    june_2026: FixedClock,
) -> None:
    async with embedded_platform(
        database_factory, kafka_settings_for_tests(kafka_bootstrap), auth_dir
    ) as platform:
        await run_award_flow(platform, bearer)
