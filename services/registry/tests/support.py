"""Helpers the registry tests share."""

from __future__ import annotations

import httpx

from sme_common.ids import make_uscc

URL = "/api/registry/v1"


async def register_enterprise(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: str,
    name: str | None = None,
    *,
    region: str = "620102",
    request_id: str | None = None,
    **fields: object,
) -> str:
    """Register an enterprise through the API and return its USCC (``body``: the 8 characters of
    the organisation code that make it unique, ``region``: where it is registered)."""
    uscc = make_uscc(region=region, body=body)
    response = await client.post(
        f"{URL}/enterprises",
        headers={**headers, **({"X-Request-Id": request_id} if request_id else {})},
        json={"uscc": uscc, "name": name or f"企业{body}", "region_code": region, **fields},
    )
    assert response.status_code == 201, response.text
    return uscc
