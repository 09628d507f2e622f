"""No entitlement is created twice for the same enterprise, policy and basis: the grant events of
an enterprise, duplicated and delivered in random orders (bypassing the inbox too), always leave
the same entitlements and the same total; and the evaluate-pending command runs."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from datetime import date

import httpx

from services.funding.tests.entitlement_support import (
    WAN,
    created_events,
    database_of,
    entitlements_of,
    expired,
    grant,
    granted,
    known_enterprise,
)
from sme_common.testing.plugin import DatabaseFactory


async def test_duplicated_and_reordered_grants_always_give_the_same_total(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    shuffle = random.Random(20260610)  # noqa: S311  (a reproducible order, not a secret)
    for run in range(12):
        uscc = await known_enterprise(db, f"RP{run:06d}")
        basis = [
            granted(uscc, f"cert_p{run}", issued_on=date(2023, 6, 1)),
            granted(
                uscc,
                f"cert_n{run}",
                tier="little_giant",
                level="national",
                issued_on=date(2024, 6, 1),
            ),
            expired(uscc, f"cert_p{run}", expired_on=date(2026, 6, 2)),
            granted(uscc, f"cert_r{run}", issued_on=date(2026, 6, 5)),
        ]
        # Each event up to three times: the same event again (the inbox stops it) and the same
        # content under a new event id (as a producer's retry would send it).
        deliveries = list(basis)
        for event in basis:
            deliveries += [event] * shuffle.randint(0, 1)
            if shuffle.random() < 0.5 and event.type.endswith("granted.v1"):
                data = event.data
                deliveries.append(
                    granted(
                        uscc,
                        data["certificate_id"],
                        tier=data["tier"],
                        level=data["level"],
                        issued_on=date.fromisoformat(data["issued_on"]),
                    )
                )
        shuffle.shuffle(deliveries)
        for event in deliveries:
            await grant(db, event)
        entitlements = await entitlements_of(db, uscc)
        paid = sorted((e.policy_code, e.amount_fen) for e in entitlements if e.amount_fen)
        # Whichever provincial certificate came first is the "first" one: 30万 once; the national
        # 小巨人 stacks 50万; the other provincial one gives 0 (not payable).
        assert paid == [("GS-XJR-NATIONAL", 50 * WAN), ("GS-ZJTX-PROV-FIRST", 30 * WAN)], run
        assert len(entitlements) == 3, run
        assert len({e.trigger_key for e in entitlements}) == 3
    assert len(await created_events(db)) == 12 * 3


async def test_the_evaluate_pending_command_reports_what_it_did(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("funding_sweep_cli", "sme_funding")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "sme_funding", "evaluate-pending"],
        env={**os.environ, "SME_FUNDING_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "evaluated": 0,
        "created": 0,
        "still_awaiting": 0,
    }
