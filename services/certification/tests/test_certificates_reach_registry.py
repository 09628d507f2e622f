"""The certificate events, as certification writes them to its outbox, read by registry's consumer
(``registry.certification-titles``): granting moves the enterprise into its tier's pool; revoking
and expiring move it back out; a revocation for false declaration records the 3-year ban as a
credit flag (once, whatever is replayed); a renewal carries the new last valid day; the re-review
alert goes into the history. No broker: the records are handed over as the relay would send them."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka.structs import ConsumerRecord
from sqlalchemy import select

from services.certification.tests.certificate_support import (  # noqa: F401 (fixture)
    URL,
    add_enterprise,
    at_noon,
    client_on_the_real_clock,
    database_of,
    outbox_events,
)
from sme_certification.certificates.service import run_lifecycle
from sme_common.clock import use_clock
from sme_common.db import UnitOfWork
from sme_common.events.consumer import ConsumerRunner, Outcome, PermanentEventError
from sme_common.events.tables import outbox_message
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database
from sme_registry.activity.consumers import (
    certificate_renewed,
    certificate_revoked,
    certification_consumer,
)
from sme_registry.app import create_app as create_registry_app
from sme_registry.config import Settings as RegistrySettings
from sme_registry.reference.service import load_reference_data

REGISTRY = "/api/registry/v1"


@pytest.fixture(scope="module")
def registry_url(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("registry_for_certificates", "sme_registry")
    load_reference_data(url)
    return url


@pytest_asyncio.fixture
async def registry(registry_url: str, auth_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings(
        database_url=registry_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(registry_url):
        app = create_registry_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def relay(
    certification: httpx.AsyncClient, registry: httpx.AsyncClient, already: int
) -> list[Outcome]:
    """Hand registry's consumer every outbox record after the first ``already``, as the relay
    sends them (topic, key, headers, payload), through the consumer's own batch processing."""
    query = select(outbox_message).order_by(outbox_message.c.id).offset(already)
    async with database_of(certification).sessionmaker() as session:
        rows = (await session.execute(query)).all()
    records = [
        ConsumerRecord(
            topic=row.topic,
            partition=0,
            offset=already + n,
            timestamp=0,
            timestamp_type=0,
            key=row.key.encode(),
            value=row.payload,
            checksum=None,
            serialized_key_size=len(row.key),
            serialized_value_size=len(row.payload),
            headers=[(name, value.encode()) for name, value in row.headers],
        )
        for n, row in enumerate(rows)
    ]
    runner = ConsumerRunner(
        spec=certification_consumer,
        database=registry.app.state.database,  # type: ignore[attr-defined]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )
    return await runner.process_batch(records, asyncio.Event())


async def same_enterprise(
    certification: httpx.AsyncClient, registry: httpx.AsyncClient, headers: dict[str, str]
) -> str:
    """Registered in registry, and the same entry in certification's directory."""
    uscc = await add_enterprise(certification, "MR000001", name="兰州证书联动科技有限公司")
    response = await registry.post(
        f"{REGISTRY}/enterprises",
        headers=headers,
        json={"uscc": uscc, "name": "兰州证书联动科技有限公司", "region_code": "620102"},
    )
    assert response.status_code == 201, response.text
    return uscc


async def pools(registry: httpx.AsyncClient, headers: dict[str, str], uscc: str) -> list[str]:
    response = await registry.get(f"{REGISTRY}/enterprises/{uscc}/pools", headers=headers)
    return response.json()["current"]  # type: ignore[no-any-return]


async def test_granting_and_revoking_move_registry_pools(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await same_enterprise(client, registry, province)
    with use_clock(at_noon(date(2026, 3, 1))):
        granted = await client.post(
            f"{URL}/certificates",
            headers=province,
            json={
                "uscc": uscc,
                "tier": "specialised",
                "level": "provincial",
                "issued_on": "2026-03-01",
            },
        )
    certificate = granted.json()
    assert await relay(client, registry, 0) == [Outcome.APPLIED]
    assert await pools(registry, province, uscc) == ["specialised"]
    held = (await registry.get(f"{REGISTRY}/enterprises/{uscc}", headers=province)).json()
    assert held["tier"] == "specialised"

    with use_clock(at_noon(date(2026, 9, 1))):
        revoked = await client.post(
            f"{URL}/certificates/{certificate['id']}/revocation",
            headers=province,
            json={"reason": "false_declaration", "revoked_on": "2026-09-01", "note": "数据造假"},
        )
    assert revoked.status_code == 200
    assert await relay(client, registry, 1) == [Outcome.APPLIED]
    assert await pools(registry, province, uscc) == []
    held = (await registry.get(f"{REGISTRY}/enterprises/{uscc}", headers=province)).json()
    assert held["tier"] is None


async def ban_flags(
    registry: httpx.AsyncClient, headers: dict[str, str], uscc: str
) -> list[dict[str, Any]]:
    response = await registry.get(f"{REGISTRY}/enterprises/{uscc}/flags", headers=headers)
    assert response.status_code == 200, response.text
    return [f for f in response.json()["items"] if f["source"] == "certification"]


async def test_a_false_declaration_records_the_three_year_ban_as_a_credit_flag_once(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await same_enterprise(client, registry, province)
    with use_clock(at_noon(date(2026, 3, 1))):
        granted = await client.post(
            f"{URL}/certificates",
            headers=province,
            json={
                "uscc": uscc,
                "tier": "specialised",
                "level": "provincial",
                "issued_on": "2026-03-01",
            },
        )
    certificate = granted.json()
    with use_clock(at_noon(date(2026, 9, 1))):
        revoked = await client.post(
            f"{URL}/certificates/{certificate['id']}/revocation",
            headers=province,
            json={"reason": "false_declaration", "revoked_on": "2026-09-01", "note": "数据造假"},
        )
        assert revoked.status_code == 200, revoked.text
        assert await relay(client, registry, 0) == [Outcome.APPLIED, Outcome.APPLIED]
        [flag] = await ban_flags(registry, province, uscc)
    # The ban's last day is 2029-09-01; a flag is in force up to, not including, its end.
    assert (flag["kind"], flag["started_on"], flag["ended_on"], flag["active"]) == (
        "data_falsification",
        "2026-09-01",
        "2029-09-02",
        True,
    )
    assert flag["reference"] == certificate["id"]
    assert "117号" in flag["note"]
    [changed] = await outbox_events(registry, "registry.enterprise.flags-changed.v1")
    assert changed.data["flag_id"] == flag["id"]
    assert (changed.data["change"], changed.data["source"]) == ("raised", "certification")
    assert changed.data["active_flags"] == ["data_falsification"]

    # The relay sends it again: the inbox knows the event.
    assert await relay(client, registry, 1) == [Outcome.DUPLICATE]
    # Replayed under a new id (a dead-letter republished): the flag is keyed by the certificate.
    [event] = await outbox_events(client, "certification.certificate.revoked.v1")
    replay = dataclasses.replace(event, id="replayed-after-dlt")
    async with UnitOfWork(database_of(registry)) as uow:
        await certificate_revoked(uow, replay)
        await uow.commit()
    with use_clock(at_noon(date(2026, 9, 2))):
        assert len(await ban_flags(registry, province, uscc)) == 1
    assert len(await outbox_events(registry, "registry.enterprise.flags-changed.v1")) == 1
    with use_clock(at_noon(date(2029, 9, 1))):
        [last_day] = await ban_flags(registry, province, uscc)
    with use_clock(at_noon(date(2029, 9, 2))):
        [after] = await ban_flags(registry, province, uscc)
    assert (last_day["active"], after["active"]) == (True, False)


async def test_other_revocations_record_no_ban(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await same_enterprise(client, registry, province)
    with use_clock(at_noon(date(2026, 3, 1))):
        granted = await client.post(
            f"{URL}/certificates",
            headers=province,
            json={
                "uscc": uscc,
                "tier": "specialised",
                "level": "provincial",
                "issued_on": "2026-03-01",
            },
        )
    with use_clock(at_noon(date(2026, 9, 1))):
        await client.post(
            f"{URL}/certificates/{granted.json()['id']}/revocation",
            headers=province,
            json={"reason": "violation", "revoked_on": "2026-09-01", "note": "违规"},
        )
        assert await relay(client, registry, 0) == [Outcome.APPLIED, Outcome.APPLIED]
        assert await ban_flags(registry, province, uscc) == []
    assert await outbox_events(registry, "registry.enterprise.flags-changed.v1") == []


async def test_expiry_moves_registry_pools_and_new_event_types_are_skipped(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await same_enterprise(client, registry, province)
    with use_clock(at_noon(date(2026, 1, 10))):
        await client.post(
            f"{URL}/certificates",
            headers=province,
            json={
                "uscc": uscc,
                "tier": "innovative",
                "level": "provincial",
                "issued_on": "2026-01-10",
            },
        )
    assert await relay(client, registry, 0) == [Outcome.APPLIED]
    assert await pools(registry, province, uscc) == ["innovative"]
    database = database_of(client)
    with use_clock(at_noon(date(2029, 1, 11))):  # never alerted (the job did not run): expires
        report = await run_lifecycle(database, lead_days=90)
    assert len(report.expired) == 1
    assert await relay(client, registry, 1) == [Outcome.APPLIED]
    assert await pools(registry, province, uscc) == []


async def test_the_re_review_due_event_is_recorded_in_registry_history(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await same_enterprise(client, registry, province)
    with use_clock(at_noon(date(2026, 1, 10))):
        await client.post(
            f"{URL}/certificates",
            headers=province,
            json={
                "uscc": uscc,
                "tier": "specialised",
                "level": "provincial",
                "issued_on": "2026-01-10",
            },
        )
    with use_clock(at_noon(date(2028, 10, 12))):
        await run_lifecycle(database_of(client), lead_days=90)
    kinds = [e.type for e in await outbox_events(client)]
    assert kinds == [
        "certification.certificate.granted.v1",
        "certification.certificate.re-review-due.v1",
    ]
    assert await relay(client, registry, 0) == [Outcome.APPLIED, Outcome.APPLIED]
    profile = (
        await registry.get(f"{REGISTRY}/enterprises/{uscc}/profile", headers=province)
    ).json()
    history = profile["certification_history"]
    assert [a["kind"] for a in history] == ["certificate_granted", "certificate_re_review_due"]
    assert history[1]["summary"]["expires_on"] == "2029-01-10"
    assert await pools(registry, province, uscc) == ["specialised"], "still valid while due"


async def test_a_passed_re_review_carries_the_new_last_valid_day_to_registry(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await same_enterprise(client, registry, province)
    with use_clock(at_noon(date(2026, 1, 10))):
        granted = await client.post(
            f"{URL}/certificates",
            headers=province,
            json={
                "uscc": uscc,
                "tier": "specialised",
                "level": "provincial",
                "issued_on": "2026-01-10",
            },
        )
    certificate = granted.json()
    with use_clock(at_noon(date(2028, 10, 12))):
        await run_lifecycle(database_of(client), lead_days=90)
    with use_clock(at_noon(date(2028, 12, 1))):
        filed = await client.post(
            f"{URL}/certificates/{certificate['id']}/re-review/filing",
            headers=province,
            json={"filed_on": "2028-12-01", "application_id": "app_rr_registry"},
        )
        assert filed.status_code == 200, filed.text
    with use_clock(at_noon(date(2029, 1, 20))):
        decided = await client.post(
            f"{URL}/certificates/{certificate['id']}/re-review/decision",
            headers=province,
            json={"passed": True, "decided_on": "2029-01-20", "note": "复核通过"},
        )
        assert decided.status_code == 200, decided.text
    assert await relay(client, registry, 0) == [Outcome.APPLIED] * 3
    profile = (
        await registry.get(f"{REGISTRY}/enterprises/{uscc}/profile", headers=province)
    ).json()
    [held] = profile["certificates"]
    assert (held["status"], held["expires_on"]) == ("valid", "2032-01-10")
    assert [a["kind"] for a in profile["certification_history"]] == [
        "certificate_granted",
        "certificate_re_review_due",
        "certificate_renewed",
    ]
    assert await pools(registry, province, uscc) == ["specialised"]


async def test_a_renewal_of_a_certificate_registry_never_saw_is_dead_lettered(
    client: httpx.AsyncClient, registry: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await same_enterprise(client, registry, province)
    with use_clock(at_noon(date(2026, 1, 10))):
        granted = await client.post(
            f"{URL}/certificates",
            headers=province,
            json={
                "uscc": uscc,
                "tier": "innovative",
                "level": "provincial",
                "issued_on": "2026-01-10",
            },
        )
    certificate = granted.json()
    with use_clock(at_noon(date(2028, 10, 12))):
        await run_lifecycle(database_of(client), lead_days=90)
    with use_clock(at_noon(date(2028, 12, 1))):
        await client.post(
            f"{URL}/certificates/{certificate['id']}/re-review/filing",
            headers=province,
            json={"filed_on": "2028-12-01", "application_id": "app_rr_unseen"},
        )
        decided = await client.post(
            f"{URL}/certificates/{certificate['id']}/re-review/decision",
            headers=province,
            json={"passed": True, "decided_on": "2028-12-01", "note": "复核通过"},
        )
        assert decided.status_code == 200, decided.text
    # The grant never reached registry: the renewal is a poison message, and changes nothing.
    [renewal] = await outbox_events(client, "certification.certificate.renewed.v1")
    async with UnitOfWork(database_of(registry)) as uow:
        with pytest.raises(PermanentEventError, match="never granted here"):
            await certificate_renewed(uow, renewal)
    profile = (
        await registry.get(f"{REGISTRY}/enterprises/{uscc}/profile", headers=province)
    ).json()
    assert (profile["certificates"], profile["certification_history"]) == ([], [])
