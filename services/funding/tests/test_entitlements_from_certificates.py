"""免申即享: a granted certificate creates, once, the entitlements its award policies give
(Gansu's policy book), whatever is replayed; credit flags hold them back until lifted; a
certificate whose enterprise funding does not know yet waits for it."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from services.funding.tests.entitlement_support import (
    LANZHOU,
    QINZHOU,
    TIANSHUI,
    WAN,
    count,
    created_events,
    credit,
    database_of,
    deliver,
    entitlements_of,
    expired,
    flags,
    grant,
    granted,
    known_enterprise,
    registered,
    renewed,
    revoked,
)
from sme_common.db import UnitOfWork
from sme_common.directory.consumers import directory_consumer
from sme_common.events.consumer import Outcome
from sme_common.ids import make_uscc
from sme_funding.entitlements import repository, service
from sme_funding.entitlements.domain import EntitlementStatus
from sme_funding.entitlements.models import CertificateRecord, CertificateTriggerRecord, Entitlement


async def test_a_first_provincial_certificate_in_gansu_gives_30_wan_pending_approval(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000001")
    assert await grant(db, granted(uscc, "cert_ea01")) is Outcome.APPLIED
    [entitlement] = await entitlements_of(db, uscc)
    assert (entitlement.policy_code, entitlement.amount_fen, entitlement.status) == (
        "GS-ZJTX-PROV-FIRST",
        30 * WAN,
        "pending_approval",
    )
    assert entitlement.full_amount_fen == 30 * WAN
    assert (entitlement.region_code, entitlement.county_code) == (LANZHOU, "620102")
    assert (entitlement.year, entitlement.certificate_id) == (2026, "cert_ea01")
    assert entitlement.payee_kind == "enterprise" and entitlement.payee_id == uscc
    assert entitlement.policy_version == "2023"
    codes = [line["code"] for line in entitlement.explanation]
    assert "first_only_first_certificate" in codes
    [event] = await created_events(db)
    assert event["topic"] == "funding.entitlement"
    assert event["entitlement_id"] == entitlement.id
    assert (event["uscc"], event["amount_fen"], event["status"]) == (
        uscc,
        30 * WAN,
        "pending_approval",
    )
    assert event["certificate_id"] == "cert_ea01"


async def test_replaying_the_grant_changes_nothing(client: httpx.AsyncClient) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000002")
    event = granted(uscc, "cert_ea02")
    assert await grant(db, event) is Outcome.APPLIED
    assert await grant(db, event) is Outcome.DUPLICATE  # the runner's inbox
    # The same grant announced again under another event id (a producer's retry that passed
    # the inbox): the trigger was evaluated once, and the trigger key is unique anyway.
    assert await grant(db, granted(uscc, "cert_ea02")) is Outcome.APPLIED
    [entitlement] = await entitlements_of(db, uscc)
    assert entitlement.version == 1
    assert len(await created_events(db)) == 1
    async with db.sessionmaker() as session:
        steps = await repository.steps_of(session, entitlement.id)
    assert [(s.from_status, s.to_status) for s in steps] == [(None, "pending_approval")]


async def test_a_national_little_giant_after_the_provincial_award_stacks_50_wan(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000003")
    await grant(db, granted(uscc, "cert_prov", issued_on=date(2025, 6, 1)))
    await grant(
        db,
        granted(
            uscc, "cert_nat", tier="little_giant", level="national", issued_on=date(2026, 6, 1)
        ),
    )
    provincial, national = await entitlements_of(db, uscc)
    assert (provincial.policy_code, provincial.amount_fen, provincial.year) == (
        "GS-ZJTX-PROV-FIRST",
        30 * WAN,
        2025,
    )
    assert (national.policy_code, national.amount_fen, national.status) == (
        "GS-XJR-NATIONAL",
        50 * WAN,
        "pending_approval",
    )
    assert "stacked" in [line["code"] for line in national.explanation]
    assert sum(e.amount_fen for e in (provincial, national)) == 80 * WAN


async def test_a_re_certification_after_expiry_is_not_a_first_certificate(
    client: httpx.AsyncClient,
) -> None:
    """Explicitly: the new certificate gets an entitlement of 0, ``not_payable``, with the
    reason (so the officer sees why), never a second 30万."""
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000004")
    await grant(db, granted(uscc, "cert_first", issued_on=date(2023, 6, 1)))
    await grant(db, expired(uscc, "cert_first", expired_on=date(2026, 6, 2)))
    await grant(db, granted(uscc, "cert_again", issued_on=date(2026, 6, 5)))
    first, again = await entitlements_of(db, uscc)
    assert (first.amount_fen, first.status) == (30 * WAN, "pending_approval")
    assert (again.certificate_id, again.amount_fen, again.full_amount_fen, again.status) == (
        "cert_again",
        0,
        30 * WAN,
        "not_payable",
    )
    assert "first_only_not_first_certificate" in [line["code"] for line in again.explanation]
    events = await created_events(db)
    assert [(e["amount_fen"], e["status"]) for e in events] == [
        (30 * WAN, "pending_approval"),
        (0, "not_payable"),
    ]
    async with db.sessionmaker() as session:
        record = await session.get(CertificateRecord, "cert_first")
    assert record is not None and (record.status, record.ended_on) == ("expired", date(2026, 6, 2))


async def test_a_blocking_credit_flag_holds_the_entitlement_until_lifted(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000005")
    raised = flags(uscc, "flag_1", "serious_dishonesty", "raised", ["serious_dishonesty"])
    assert await credit(db, raised) is Outcome.APPLIED
    await grant(db, granted(uscc, "cert_ea05"))
    [entitlement] = await entitlements_of(db, uscc)
    assert (entitlement.status, entitlement.blocked_reason) == ("blocked", ["serious_dishonesty"])
    assert (await created_events(db))[0]["status"] == "blocked"

    # A second blocking flag, then lifting the first: still one in force, still blocked.
    await credit(
        db,
        flags(
            uscc,
            "flag_2",
            "major_accident",
            "raised",
            ["serious_dishonesty", "major_accident"],
        ),
    )
    await credit(db, flags(uscc, "flag_1", "serious_dishonesty", "lifted", ["major_accident"]))
    [entitlement] = await entitlements_of(db, uscc)
    assert (entitlement.status, entitlement.blocked_reason) == ("blocked", ["major_accident"])

    lifted = flags(uscc, "flag_2", "major_accident", "lifted", [], ended_on=date(2026, 6, 9))
    assert await credit(db, lifted) is Outcome.APPLIED
    [entitlement] = await entitlements_of(db, uscc)
    assert (entitlement.status, entitlement.blocked_reason) == ("pending_approval", None)
    version = entitlement.version
    assert await credit(db, lifted) is Outcome.DUPLICATE
    [entitlement] = await entitlements_of(db, uscc)
    assert (entitlement.status, entitlement.version) == ("pending_approval", version)
    async with db.sessionmaker() as session:
        steps = await repository.steps_of(session, entitlement.id)
    assert [(s.from_status, s.to_status) for s in steps] == [
        (None, "blocked"),
        ("blocked", "pending_approval"),
    ]


async def test_raising_a_flag_blocks_pending_entitlements_but_not_approved_ones(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000006")
    await grant(db, granted(uscc, "cert_prov6", issued_on=date(2025, 6, 1)))
    await grant(
        db,
        granted(
            uscc, "cert_nat6", tier="little_giant", level="national", issued_on=date(2026, 6, 1)
        ),
    )
    provincial, national = await entitlements_of(db, uscc)
    async with UnitOfWork(db) as uow:  # what the approval module will do
        locked = await repository.by_id(uow.session, provincial.id, for_update=True)
        assert locked is not None
        await service.move_status(uow, locked, EntitlementStatus.APPROVED, actor="test:approver")
        await uow.commit()
    await credit(db, flags(uscc, "flag_d", "data_falsification", "raised", ["data_falsification"]))
    provincial, national = await entitlements_of(db, uscc)
    assert (provincial.status, national.status) == ("approved", "blocked")
    await credit(db, flags(uscc, "flag_d", "data_falsification", "lifted", []))
    provincial, national = await entitlements_of(db, uscc)
    assert (provincial.status, national.status) == ("approved", "pending_approval")


async def test_the_abnormal_operations_list_does_not_block(client: httpx.AsyncClient) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000007")
    await credit(
        db, flags(uscc, "flag_a", "abnormal_operations", "raised", ["abnormal_operations"])
    )
    await grant(db, granted(uscc, "cert_ea07"))
    [entitlement] = await entitlements_of(db, uscc)
    assert entitlement.status == "pending_approval"


async def test_a_grant_for_an_enterprise_funding_does_not_know_waits_for_its_registration(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = make_uscc(region=QINZHOU, body="EA000008")
    assert await grant(db, granted(uscc, "cert_ea08")) is Outcome.APPLIED
    assert await entitlements_of(db, uscc) == []
    async with db.sessionmaker() as session:
        [trigger] = list(await session.scalars(select(CertificateTriggerRecord)))
    assert (trigger.status, trigger.uscc) == ("awaiting_enterprise", uscc)
    # The registration reaches funding's own consumer first (the directory is another one):
    # the event places the enterprise.
    assert await credit(db, registered(uscc, region=QINZHOU, unit=TIANSHUI)) is Outcome.APPLIED
    [entitlement] = await entitlements_of(db, uscc)
    assert (entitlement.region_code, entitlement.county_code) == (TIANSHUI, QINZHOU)
    assert entitlement.amount_fen == 30 * WAN
    # Neither the registration replayed nor the sweep evaluates it again.
    assert (await service.evaluate_pending(db)).evaluated == 0
    await credit(db, registered(uscc, region=QINZHOU, unit=TIANSHUI))
    assert len(await entitlements_of(db, uscc)) == 1


async def test_the_sweep_evaluates_what_the_directory_learnt_meanwhile(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = make_uscc(region=QINZHOU, body="EA000009")
    other = make_uscc(region=QINZHOU, body="EA000010")
    await grant(db, granted(uscc, "cert_ea09"))
    await grant(db, granted(other, "cert_ea10"))
    # Only the directory learnt of the first (say, by ``rebuild-directory``).
    event = registered(uscc, region=QINZHOU, unit=TIANSHUI)
    assert await deliver(db, directory_consumer("funding"), event) is Outcome.APPLIED
    report = await service.evaluate_pending(db)
    assert (report.evaluated, report.created, report.still_awaiting) == (1, 1, 1)
    assert [e.amount_fen for e in await entitlements_of(db, uscc)] == [30 * WAN]
    assert await entitlements_of(db, other) == []
    again = await service.evaluate_pending(db)
    assert (again.evaluated, again.created, again.still_awaiting) == (0, 0, 1)


async def test_a_revocation_is_recorded_and_its_awards_are_found_for_clawback(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000011")
    await grant(db, granted(uscc, "cert_ea11"))
    assert await grant(db, revoked(uscc, "cert_ea11", revoked_on=date(2026, 6, 9))) is (
        Outcome.APPLIED
    )
    async with db.sessionmaker() as session:
        record = await session.get(CertificateRecord, "cert_ea11")
        caused = await repository.entitlements_caused_by(session, "cert_ea11")
    assert record is not None
    assert (record.status, record.reason_code, record.ended_on) == (
        "revoked",
        "false_declaration",
        date(2026, 6, 9),
    )
    # found, and (false declaration) cancelled by the clawback in the same unit of work
    assert [(e.policy_code, e.status) for e in caused] == [("GS-ZJTX-PROV-FIRST", "cancelled")]


async def test_a_revocation_of_a_certificate_funding_never_saw_granted_is_kept(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000012")
    await grant(db, revoked(uscc, "cert_old", revoked_on=date(2026, 6, 1)))
    async with db.sessionmaker() as session:
        record = await session.get(CertificateRecord, "cert_old")
    assert record is not None and (record.status, record.level) == ("revoked", None)
    assert await count(db, Entitlement) == 0


async def test_a_renewal_keeps_the_certificate_granted_and_gives_no_first_award(
    client: httpx.AsyncClient,
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "EA000013")
    await grant(db, granted(uscc, "cert_ea13", issued_on=date(2023, 6, 1)))
    assert await grant(db, renewed(uscc, "cert_ea13", renewed_on=date(2026, 6, 1))) is (
        Outcome.APPLIED
    )
    async with db.sessionmaker() as session:
        record = await session.get(CertificateRecord, "cert_ea13")
        triggers = list(await session.scalars(select(CertificateTriggerRecord)))
    assert record is not None
    assert (record.status, record.expires_on) == ("granted", date(2029, 6, 1))
    assert sorted(t.kind for t in triggers) == ["certificate_granted", "certificate_renewed"]
    # Gansu sets no re-review award: the renewal adds nothing.
    assert [e.amount_fen for e in await entitlements_of(db, uscc)] == [30 * WAN]
