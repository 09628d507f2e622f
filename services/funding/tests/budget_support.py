"""Helpers of the budgets and ledger tests."""

from __future__ import annotations

from typing import Any

import httpx

FUNDS = "/api/funding/v1/funds"
LANZHOU = "620100"
JIAYUGUAN = "620200"


async def create_fund(
    client: httpx.AsyncClient, headers: dict[str, str], total_fen: int = 100_000_000, **extra: Any
) -> dict[str, Any]:
    body = {
        "code": "sme-development-fund",
        "name": "2026年省级中小企业发展专项资金",
        "source_kind": "provincial",
        "year": 2026,
        "province_code": "620000",
        "total_fen": total_fen,
        **extra,
    }
    response = await client.post(FUNDS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def allocate(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    fund_id: str,
    region: str,
    amount_fen: int,
    version: int | None = None,
) -> httpx.Response:
    extra = {"If-Match": f'"{version}"'} if version is not None else {}
    return await client.put(
        f"{FUNDS}/{fund_id}/allocations/{region}",
        json={"amount_fen": amount_fen},
        headers={**headers, **extra},
    )
