"""The certified population from certification's events: one change per real change, in commit
order, and nothing on a replay, a duplicate or a late event of a certificate no longer held."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
from certified_support import certificate_event, expire, grant, revoke
from sqlalchemy import text

from sme_common.contracts.events.certification.models import CertificateGrantedV1
from sme_common.db import Database, UnitOfWork
from sme_common.ids import make_uscc
from sme_common.testing.plugin import DatabaseFactory
from sme_finance_matching.certified import domain, repository, service
from sme_finance_matching.certified.domain import Held, Status

A = make_uscc(region="620102", body="CE000001")
B = make_uscc(region="620102", body="CE000002")


async def changes(client: httpx.AsyncClient) -> list[tuple[int, str, str, str]]:
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        rows = await uow.session.execute(
            text("SELECT seq, uscc, kind, tier FROM certified_change ORDER BY seq")
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def state(client: httpx.AsyncClient, uscc: str) -> tuple[str, str, str, int] | None:
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        row = (
            await uow.session.execute(
                text(
                    "SELECT certificate_id, tier, status, change_seq FROM certified_enterprise"
                    " WHERE uscc = :u"
                ),
                {"u": uscc},
            )
        ).first()
        return None if row is None else tuple(row)  # type: ignore[return-value]


async def test_a_grant_adds_the_enterprise_and_a_replay_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await grant(client, A, "cert_a1")
    await grant(client, A, "cert_a1")
    log = await changes(client)
    assert [(u, k, t) for _, u, k, t in log] == [(A, "added", "specialised")]
    assert await state(client, A) == ("cert_a1", "specialised", "valid", log[0][0])


async def test_upgrade_renewal_and_revocation_are_each_one_change(
    client: httpx.AsyncClient,
) -> None:
    await grant(client, A, "cert_a1")
    await grant(client, A, "cert_a2", tier="little_giant", issued_on="2026-06-01")
    await certificate_event(
        client,
        "certification.certificate.renewed.v1",
        {
            "certificate_id": "cert_a2",
            "uscc": A,
            "tier": "little_giant",
            "level": "provincial",
            "certificate_number": "GS-1",
            "renewed_on": "2026-11-01",
            "expires_on": "2032-05-31",
        },
    )
    await revoke(client, A, "cert_a1")  # not the one held: nothing
    await revoke(client, A, "cert_a2", tier="little_giant")
    await expire(client, A, "cert_a2", tier="little_giant")  # revoked stays revoked
    await revoke(client, A, "cert_a2", tier="little_giant")  # replay
    kinds = [k for _, _, k, _ in await changes(client)]
    assert kinds == ["added", "tier_changed", "renewed", "revoked"]
    assert (await state(client, A))[2] == "revoked"  # type: ignore[index]


async def test_expiry_then_a_new_grant_adds_again(client: httpx.AsyncClient) -> None:
    await grant(client, B, "cert_b1")
    await expire(client, B, "cert_b1")
    await grant(client, B, "cert_b2", issued_on="2026-11-01", expires_on="2029-10-31")
    assert [k for _, _, k, _ in await changes(client)] == ["added", "expired", "added"]


async def test_a_later_position_never_commits_before_an_earlier_one(
    database_factory: DatabaseFactory,
) -> None:
    """The delta cursor's guarantee: while one writer holds a position uncommitted, the next
    writer cannot draw one, so a reader of ``seq > cursor`` never skips a late commit."""
    url = database_factory.create("finance_certified_order", "sme_finance_matching")
    database = Database.from_url(url, pool_size=3)
    try:
        async with UnitOfWork(database) as first:
            seq_a = await service.certificate_granted(first, _granted(A, "cert_a1"))

            async def second() -> int | None:
                async with UnitOfWork(database) as uow:
                    seq = await service.certificate_granted(uow, _granted(B, "cert_b1"))
                    await uow.commit()
                    return seq

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.4)
            assert not waiting.done()
            async with UnitOfWork(database) as reader:
                assert await repository.head(reader.session) == 0
            await first.commit()
        seq_b = await waiting
        assert seq_a is not None and seq_b is not None and seq_b > seq_a
    finally:
        await database.dispose()


def _granted(uscc: str, certificate_id: str) -> CertificateGrantedV1:
    return CertificateGrantedV1(
        certificate_id=certificate_id,
        uscc=uscc,
        tier="specialised",
        level="provincial",
        issued_on=_d(2026, 1, 10),
        expires_on=_d(2029, 1, 9),
    )


def test_an_older_certificate_announced_late_does_not_replace_the_newer() -> None:
    held = Held("c2", "little_giant", "provincial", _d(2026, 6, 1), _d(2029, 5, 31), Status.VALID)
    late = Held("c1", "specialised", "provincial", _d(2025, 1, 1), _d(2028, 1, 1), Status.VALID)
    assert domain.granted(held, late) is None


def _d(y: int, m: int, d: int) -> date:
    return date(y, m, d)
