"""Callers and records the finance-matching tests share."""

from __future__ import annotations

from typing import Any

import httpx

from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

API = "/api/finance-matching/v1"
FINANCE_SCOPES = ("finance:read", "finance:write")
BANK_A_USCC = make_uscc(region="620100", body="BK00000A")
BANK_B_USCC = make_uscc(region="620100", body="BK00000B")
AGENCY_USCC = make_uscc(region="620100", body="GA00000C")


def officer(bearer: TokenFactory, region: str = "620000", role: str = "province_officer") -> Any:
    return bearer(role, region=region)


def institution_client(bearer: TokenFactory, client_id: str, role: str = "bank") -> Any:
    """A machine token as the issuer mints it for a registered client (client credentials)."""
    return bearer(role, scopes=FINANCE_SCOPES, subject=f"client:{client_id}", client_id=client_id)


def institution_body(uscc: str, client_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "bank",
        "name": f"测试银行{uscc[-4:]}",
        "uscc": uscc,
        "province_code": "620000",
        "region_codes": ["620100"],
        "tiers": ["specialised", "little_giant"],
        "client_ids": [client_id],
        **overrides,
    }


async def create_institution(
    client: httpx.AsyncClient, headers: Any, uscc: str, client_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/institutions", json=institution_body(uscc, client_id, **overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def product_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "专精特新贷",
        "product_type": "credit_loan",
        "min_amount_fen": 10_000_000,
        "max_amount_fen": 500_000_000,
        "min_rate_ratio": "0.0300",
        "max_rate_ratio": "0.0450",
        "min_term_months": 6,
        "max_term_months": 36,
        "eligible_tiers": ["specialised"],
        "eligible_industry_sections": ["C"],
        "eligible_region_codes": ["620100"],
        "eligible_size_classes": ["small", "medium"],
        **overrides,
    }


async def create_product(
    client: httpx.AsyncClient, headers: Any, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(f"{API}/products", json=product_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def audit_count(client: httpx.AsyncClient, resource: str) -> int:
    from sqlalchemy import text

    from sme_common.db import UnitOfWork

    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        result = await uow.session.execute(
            text("SELECT count(*) FROM audit_record WHERE resource_type = :r"), {"r": resource}
        )
        return int(result.scalar_one())


async def register_enterprise(
    client: httpx.AsyncClient,
    uscc: str,
    *,
    region_code: str = "620102",
    reporting_unit_code: str = "620100",
    industry_code: str | None = "C3484",
) -> None:
    """``uscc`` in the service's enterprise directory, as the registry's event puts it there."""
    from sme_common.db import UnitOfWork
    from sme_common.directory.consumers import record_registered_enterprise
    from sme_common.events.envelope import CloudEvent

    data: dict[str, Any] = {
        "uscc": uscc,
        "name": f"融资测试企业{uscc[-3:]}",
        "region_code": region_code,
        "reporting_unit_code": reporting_unit_code,
        "operating_status": "operating",
        "registered_at": "2026-11-24T08:00:00+00:00",
        "version": 1,
    }
    if industry_code is not None:
        data["industry_code"] = industry_code
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await record_registered_enterprise(
            uow,
            CloudEvent(
                type="registry.enterprise.registered.v1",
                source="/sme/registry",
                subject=uscc,
                data=data,
            ),
        )
        await uow.commit()


async def registry_announces(
    client: httpx.AsyncClient, uscc: str, kind: str, data: dict[str, Any]
) -> None:
    """A registry event about ``uscc`` (size-class-changed, flags-changed,
    service-people-changed …) applied through the service's directory consumer."""
    from sme_common.db import UnitOfWork
    from sme_common.events.envelope import CloudEvent
    from sme_finance_matching.enterprises.consumers import enterprise_directory_consumer

    event_type = f"registry.enterprise.{kind}.v1"
    handler = enterprise_directory_consumer.handlers[event_type]
    event = CloudEvent(
        type=event_type, source="/sme/registry", subject=uscc, data={"uscc": uscc, **data}
    )
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await handler(uow, event)
        await uow.commit()


async def size_class_decided(client: httpx.AsyncClient, uscc: str, size_class: str) -> None:
    await registry_announces(
        client,
        uscc,
        "size-class-changed",
        {
            "size_class": size_class,
            "previous_size_class": None,
            "basis_year": 2025,
            "rule_version": "gxb-2011-300",
            "decided_at": "2026-05-01T02:00:00+00:00",
        },
    )
