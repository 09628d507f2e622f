"""Entitlements without applications (直达快享 / 免申即享): a granted (or renewed) certificate is
evaluated against the policy book once, and each entitlement it gives is stored once (keyed by
its ``trigger_key``); credit flags hold them back until lifted; officers read and cancel them.

The consumers and the routes call these functions. Consumers' functions take the runner's
``UnitOfWork`` (the runner commits, with the inbox row of the event); the routes' open their own.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import structlog

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.contracts.events.certification.models import (
    CertificateExpiredV1,
    CertificateGrantedV1,
    CertificateRenewedV1,
    CertificateRevokedV1,
)
from sme_common.contracts.events.registry.models import (
    EnterpriseRegisteredV1,
    EnterpriseUpdatedV1,
    FlagsChangedV1,
)
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict
from sme_common.pagination import KeyCursor
from sme_common.problems import Resource, enterprise_in_scope, expect_version, not_found
from sme_funding.entitlements import domain, events, repository
from sme_funding.entitlements.domain import (
    CertificateStatus,
    EntitlementStatus,
    TriggerStatus,
)
from sme_funding.entitlements.models import CertificateRecord, CertificateTriggerRecord, Entitlement
from sme_funding.entitlements.schemas import (
    Cancellation,
    EnterpriseEntitlementFilters,
    EntitlementDetail,
    EntitlementFilters,
    EntitlementPage,
    EntitlementRead,
    EntitlementStepRead,
    EvaluationReport,
)
from sme_funding.policies.book import load_book
from sme_funding.policies.domain import (
    AwardHistory,
    EntitlementProposal,
    PayeeKind,
    PriorCertificate,
    PriorEntitlement,
    TriggerKind,
    proposals_for_certificate,
)

log = structlog.get_logger(__name__)

ENTITLEMENT = Resource("entitlement", "entitlement {key}", "资金兑现事项 {key}")
CURSOR = KeyCursor(re.compile(r"^ent_[0-9a-f]{16}$"))
CERTIFICATES_ACTOR = "consumer:funding.certificates"
CREDIT_ACTOR = "consumer:funding.enterprise-credit"
SWEEP_ACTOR = "job:evaluate-pending"


@dataclass(frozen=True)
class Place:
    """Where an enterprise is: its county (or district) and its 市州 (reporting unit)."""

    region_code: str
    reporting_unit_code: str


# --- certificates (consumer funding.certificates) -----------------------------------------------


async def certificate_granted(uow: UnitOfWork, granted: CertificateGrantedV1) -> int:
    """Record the certificate and evaluate its grant: the entitlements created (0 on a replay, or
    while the enterprise is not in funding's directory: evaluated when it arrives)."""
    at = clock.now()
    record = await repository.certificate(uow.session, granted.certificate_id, for_update=True)
    if record is None:
        record = CertificateRecord(
            certificate_id=granted.certificate_id,
            uscc=granted.uscc,
            tier=granted.tier,
            level=granted.level,
            issued_on=granted.issued_on,
            expires_on=granted.expires_on,
            status=CertificateStatus.GRANTED.value,
            recorded_at=at,
            updated_at=at,
        )
        await repository.add_certificate(uow.session, record)
    elif record.level is None:  # known until now only by its end (revoked or expired)
        record.level, record.issued_on = granted.level, granted.issued_on
        record.expires_on, record.updated_at = granted.expires_on, at
    return await _trigger(
        uow, record, TriggerKind.CERTIFICATE_GRANTED, granted.issued_on, CERTIFICATES_ACTOR
    )


async def certificate_renewed(uow: UnitOfWork, renewed: CertificateRenewedV1) -> int:
    """A passed re-review (复核): valid to the new ``expires_on``; evaluated as a renewal trigger
    (awards a 市州 or county sets for a passed re-review; never a "first certificate" one)."""
    at = clock.now()
    record = await repository.certificate(uow.session, renewed.certificate_id, for_update=True)
    if record is None:
        record = CertificateRecord(
            certificate_id=renewed.certificate_id,
            uscc=renewed.uscc,
            tier=renewed.tier,
            level=renewed.level,
            issued_on=None,
            expires_on=renewed.expires_on,
            status=CertificateStatus.GRANTED.value,
            renewed_on=renewed.renewed_on,
            recorded_at=at,
            updated_at=at,
        )
        await repository.add_certificate(uow.session, record)
    else:
        record.level = record.level or renewed.level
        record.status = CertificateStatus.GRANTED.value
        record.expires_on, record.renewed_on = renewed.expires_on, renewed.renewed_on
        record.ended_on, record.updated_at = None, at
    return await _trigger(
        uow, record, TriggerKind.CERTIFICATE_RENEWED, renewed.renewed_on, CERTIFICATES_ACTOR
    )


async def certificate_revoked(uow: UnitOfWork, revoked: CertificateRevokedV1) -> None:
    """Recorded only: recovering the awards it caused is the clawback module's
    (``repository.entitlements_caused_by``)."""
    reason = revoked.reason_code if isinstance(revoked.reason_code, str) else None
    await _ended(
        uow,
        certificate_id=revoked.certificate_id,
        uscc=revoked.uscc,
        tier=revoked.tier,
        status=CertificateStatus.REVOKED,
        ended_on=revoked.revoked_on,
        reason_code=reason,
    )


async def certificate_expired(uow: UnitOfWork, expired: CertificateExpiredV1) -> None:
    await _ended(
        uow,
        certificate_id=expired.certificate_id,
        uscc=expired.uscc,
        tier=expired.tier,
        status=CertificateStatus.EXPIRED,
        ended_on=expired.expired_on,
        reason_code=None,
    )


async def _ended(
    uow: UnitOfWork,
    *,
    certificate_id: str,
    uscc: str,
    tier: str,
    status: CertificateStatus,
    ended_on: date,
    reason_code: str | None,
) -> None:
    at = clock.now()
    record = await repository.certificate(uow.session, certificate_id, for_update=True)
    if record is None:  # granted before funding listened: known by its end alone
        await repository.add_certificate(
            uow.session,
            CertificateRecord(
                certificate_id=certificate_id,
                uscc=uscc,
                tier=tier,
                level=None,
                issued_on=None,
                expires_on=None,
                status=status.value,
                ended_on=ended_on,
                reason_code=reason_code,
                recorded_at=at,
                updated_at=at,
            ),
        )
        return
    record.status, record.ended_on = status.value, ended_on
    record.reason_code, record.updated_at = reason_code, at


async def _trigger(
    uow: UnitOfWork, record: CertificateRecord, kind: TriggerKind, occurred_on: date, actor: str
) -> int:
    """Record the trigger once and evaluate it now if the enterprise's place is known."""
    entry = await repository.directory_entry(uow.session, record.uscc)
    status = TriggerStatus.AWAITING_ENTERPRISE if entry is None else TriggerStatus.EVALUATED
    fresh = await repository.record_trigger(
        uow.session,
        certificate_id=record.certificate_id,
        kind=kind.value,
        occurred_on=occurred_on,
        uscc=record.uscc,
        status=status.value,
        at=clock.now(),
    )
    if not fresh:
        return 0  # a replay: this trigger was recorded (and evaluated, or is awaiting) before
    if entry is None:
        log.info(
            "entitlements.awaiting_enterprise",
            certificate_id=record.certificate_id,
            uscc=record.uscc,
        )
        return 0
    return await _evaluate(
        uow,
        record,
        kind,
        occurred_on,
        Place(entry.region_code, entry.reporting_unit_code),
        actor,
    )


def _award_history(
    certificates: Sequence[CertificateRecord], entitlements: Sequence[Entitlement]
) -> AwardHistory:
    return AwardHistory(
        certificates=tuple(
            PriorCertificate(c.certificate_id, c.tier, c.level, c.issued_on)
            for c in certificates
            if c.level is not None and c.issued_on is not None
        ),
        entitlements=tuple(
            PriorEntitlement(
                e.id,
                e.policy_code,
                e.amount_fen,
                e.trigger_key,
                cancelled=e.status == EntitlementStatus.CANCELLED,
            )
            for e in entitlements
        ),
    )


async def _history(uow: UnitOfWork, uscc: str, *, excluding: str) -> AwardHistory:
    certificates = await repository.certificates_of(uow.session, uscc, excluding=excluding)
    entitlements = await repository.of_payee(uow.session, uscc)
    return _award_history(certificates, entitlements)


@dataclass(frozen=True)
class _Evaluation:
    """One trigger to evaluate, with what the engine needs: the enterprise's place, its award
    history (without this certificate) and the blocking credit flags in force."""

    certificate_id: str
    uscc: str
    tier: str
    level: str
    kind: TriggerKind
    occurred_on: date
    place: Place
    history: AwardHistory
    flags: list[str]


async def _evaluate(
    uow: UnitOfWork,
    record: CertificateRecord,
    kind: TriggerKind,
    occurred_on: date,
    place: Place,
    actor: str,
) -> int:
    """Ask the policy engine what this trigger gives and store each proposal once."""
    if record.level is None:
        return 0  # never for a grant or renewal event, which carry the level
    history = await _history(uow, record.uscc, excluding=record.certificate_id)
    flags = domain.blocking(await repository.active_flags(uow.session, record.uscc))
    evaluation = _Evaluation(
        record.certificate_id,
        record.uscc,
        record.tier,
        record.level,
        kind,
        occurred_on,
        place,
        history,
        flags,
    )
    return await _store(uow, [evaluation], actor)


async def _store(uow: UnitOfWork, evaluations: Sequence[_Evaluation], actor: str) -> int:
    """The entitlements the triggers give, each stored once (a multi-row insert keyed by
    ``trigger_key``), with their first step and their created events; the number created."""
    book = load_book()
    at = clock.now()
    rows: list[tuple[_Evaluation, EntitlementProposal, EntitlementStatus, dict[str, Any]]] = []
    for evaluation in evaluations:
        trigger = domain.certificate_trigger(
            kind=evaluation.kind,
            certificate_id=evaluation.certificate_id,
            uscc=evaluation.uscc,
            tier=evaluation.tier,
            level=evaluation.level,
            region_code=evaluation.place.region_code,
            reporting_unit_code=evaluation.place.reporting_unit_code,
            occurred_on=evaluation.occurred_on,
        )
        for proposal in proposals_for_certificate(book, trigger, evaluation.history):
            status = domain.initial_status(proposal.amount_fen, evaluation.flags)
            enterprise = proposal.payee_kind == PayeeKind.ENTERPRISE
            values = _entitlement_row(
                proposal,
                status,
                county_code=evaluation.place.region_code if enterprise else proposal.region_code,
                year=evaluation.occurred_on.year,
                blocking_kinds=evaluation.flags,
                certificate_id=evaluation.certificate_id,
                at=at,
            )
            rows.append((evaluation, proposal, status, values))
    if not rows:
        return 0
    # A trigger's entitlement under a policy that exists already is skipped (its key).
    inserted = await repository.insert_many_once(uow.session, [values for *_, values in rows])
    created = [row for row in rows if row[3]["id"] in inserted]
    await repository.add_steps(
        uow.session,
        [
            {
                "entitlement_id": values["id"],
                "from_status": None,
                "to_status": status.value,
                "actor": actor,
                "at": at,
                "remarks": f"{evaluation.kind.value} {evaluation.certificate_id}",
            }
            for evaluation, _, status, values in created
        ],
    )
    for evaluation, proposal, status, values in created:
        if proposal.uscc is not None:
            uow.publish(
                events.ENTITLEMENT_TOPIC,
                events.entitlement_event(
                    events.created(
                        entitlement_id=values["id"],
                        uscc=proposal.uscc,
                        policy_code=proposal.policy_code,
                        amount_fen=proposal.amount_fen,
                        status=status.value,
                        certificate_id=evaluation.certificate_id,
                        created_at=at,
                    )
                ),
            )
    return len(created)


# --- many grants at once (the consumer's batch handler) -----------------------------------------


async def certificates_granted(uow: UnitOfWork, grants: Sequence[CertificateGrantedV1]) -> int:
    """``certificate_granted`` for many grants in a few set-based statements (the consumer's
    batch handler): the certificates locked and recorded, the triggers recorded once, then the
    places, histories and credit flags of all the enterprises read at once. The grants must be of
    distinct certificates and distinct enterprises (no grant's history depends on another's):
    the same state as ``certificate_granted`` applied to each in turn."""
    if len({g.uscc for g in grants}) != len(grants) or len(
        {g.certificate_id for g in grants}
    ) != len(grants):
        raise ValueError("certificates_granted takes grants of distinct enterprises")
    if not grants:
        return 0
    at = clock.now()
    session = uow.session
    known = await repository.certificates_for_update(session, [g.certificate_id for g in grants])
    records: list[CertificateRecord] = []
    new_rows: list[dict[str, Any]] = []
    for granted in grants:
        record = known.get(granted.certificate_id)
        if record is None:
            record = CertificateRecord(
                certificate_id=granted.certificate_id,
                uscc=granted.uscc,
                tier=granted.tier,
                level=granted.level,
                issued_on=granted.issued_on,
                expires_on=granted.expires_on,
                status=CertificateStatus.GRANTED.value,
                renewed_on=None,
                ended_on=None,
                reason_code=None,
                recorded_at=at,
                updated_at=at,
            )
            new_rows.append(
                {c: getattr(record, c) for c in CertificateRecord.__table__.columns.keys()}
            )
        elif record.level is None:  # known until now only by its end (revoked or expired)
            record.level, record.issued_on = granted.level, granted.issued_on
            record.expires_on, record.updated_at = granted.expires_on, at
        records.append(record)
    await repository.add_certificates(session, new_rows)
    entries = await repository.directory_entries(session, [r.uscc for r in records])
    fresh = await repository.record_triggers(
        session,
        [
            {
                "certificate_id": record.certificate_id,
                "kind": TriggerKind.CERTIFICATE_GRANTED.value,
                "occurred_on": granted.issued_on,
                "uscc": record.uscc,
                "status": (
                    TriggerStatus.EVALUATED
                    if record.uscc in entries
                    else TriggerStatus.AWAITING_ENTERPRISE
                ).value,
                "recorded_at": at,
            }
            for granted, record in zip(grants, records, strict=True)
        ],
    )
    due = [
        (granted, record)
        for granted, record in zip(grants, records, strict=True)
        if record.certificate_id in fresh  # not a replay
    ]
    for _, record in due:
        if record.uscc not in entries:
            log.info(
                "entitlements.awaiting_enterprise",
                certificate_id=record.certificate_id,
                uscc=record.uscc,
            )
    placed = [
        (granted, record)
        for granted, record in due
        if record.uscc in entries and record.level is not None
    ]
    if not placed:
        return 0
    usccs = [record.uscc for _, record in placed]
    certificates = await repository.certificates_of_many(session, usccs)
    entitlements = await repository.of_payees(session, usccs)
    credit = await repository.active_flags_of(session, usccs)
    evaluations = []
    for granted, record in placed:
        assert record.level is not None
        entry = entries[record.uscc]
        history = _award_history(
            [
                c
                for c in certificates.get(record.uscc, ())
                if c.certificate_id != record.certificate_id
            ],
            entitlements.get(record.uscc, ()),
        )
        evaluations.append(
            _Evaluation(
                record.certificate_id,
                record.uscc,
                record.tier,
                record.level,
                TriggerKind.CERTIFICATE_GRANTED,
                granted.issued_on,
                Place(entry.region_code, entry.reporting_unit_code),
                history,
                domain.blocking(credit.get(record.uscc, ())),
            )
        )
    return await _store(uow, evaluations, CERTIFICATES_ACTOR)


def _entitlement_row(
    proposal: EntitlementProposal,
    status: EntitlementStatus,
    *,
    county_code: str,
    year: int,
    blocking_kinds: list[str],
    certificate_id: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The ``entitlement`` row a proposal is stored as (by a certificate trigger or a project)."""
    return {
        "id": f"ent_{secrets.token_hex(8)}",
        "policy_code": proposal.policy_code,
        "policy_version": proposal.policy_version,
        "trigger_key": proposal.trigger_key,
        "payee_kind": proposal.payee_kind.value,
        "payee_id": proposal.payee_id,
        "uscc": proposal.uscc,
        "region_code": proposal.region_code,
        "county_code": county_code,
        "fund_code": proposal.fund_code,
        "year": year,
        "amount_fen": proposal.amount_fen,
        "full_amount_fen": proposal.full_amount_fen,
        "explanation": [asdict(line) for line in proposal.explanation],
        "status": status.value,
        "blocked_reason": blocking_kinds if status is EntitlementStatus.BLOCKED else None,
        "certificate_id": certificate_id,
        "created_at": at,
        "updated_at": at,
        "version": 1,
    }


async def create_entitlement(
    uow: UnitOfWork,
    proposal: EntitlementProposal,
    *,
    county_code: str,
    year: int,
    blocking_kinds: list[str],
    actor: str,
    remarks: str | None,
    certificate_id: str | None = None,
) -> tuple[str, EntitlementStatus] | None:
    """Store one proposal as an entitlement, once per ``proposal.trigger_key`` (the certificate
    triggers above and the subsidy projects module call it): ``not_payable`` for nothing to pay,
    ``blocked`` while ``blocking_kinds`` are in force, else ``pending_approval``; its first step
    and ``funding.entitlement.created.v1`` go in the same unit of work. Its id and status, or
    None when an entitlement under that key exists already. Does not commit."""
    status = domain.initial_status(proposal.amount_fen, blocking_kinds)
    at = clock.now()
    entitlement_id = await repository.insert_once(
        uow.session,
        _entitlement_row(
            proposal,
            status,
            county_code=county_code,
            year=year,
            blocking_kinds=blocking_kinds,
            certificate_id=certificate_id,
            at=at,
        ),
    )
    if entitlement_id is None:
        return None
    await repository.add_step(
        uow.session,
        entitlement_id=entitlement_id,
        from_status=None,
        to_status=status.value,
        actor=actor,
        at=at,
        remarks=remarks,
    )
    if proposal.uscc is not None:
        uow.publish(
            events.ENTITLEMENT_TOPIC,
            events.entitlement_event(
                events.created(
                    entitlement_id=entitlement_id,
                    uscc=proposal.uscc,
                    policy_code=proposal.policy_code,
                    amount_fen=proposal.amount_fen,
                    status=status.value,
                    certificate_id=certificate_id,
                    created_at=at,
                )
            ),
        )
    return entitlement_id, status


# --- the enterprise arrives (consumer funding.enterprise-credit) --------------------------------


async def enterprise_placed(
    uow: UnitOfWork, placed: EnterpriseRegisteredV1 | EnterpriseUpdatedV1
) -> int:
    """The register announced an enterprise (or its new place): evaluate its certificate
    triggers that were awaiting it, placed by this event (funding's directory may not have
    applied it yet: it is another consumer)."""
    place = Place(placed.region_code, placed.reporting_unit_code)
    return await _evaluate_awaiting(uow, place=place, uscc=placed.uscc, actor=CREDIT_ACTOR)


async def _evaluate_awaiting(
    uow: UnitOfWork, *, place: Place | None, uscc: str | None, actor: str
) -> int:
    """Evaluate awaiting triggers: those of ``uscc`` at ``place``, or (sweep) every one whose
    enterprise the directory knows now."""
    triggers = await repository.triggers_awaiting(
        uow.session,
        status=TriggerStatus.AWAITING_ENTERPRISE.value,
        uscc=uscc,
        known_only=place is None,
    )
    created = 0
    for trigger in triggers:
        here = place
        if here is None:
            entry = await repository.directory_entry(uow.session, trigger.uscc)
            if entry is None:
                continue
            here = Place(entry.region_code, entry.reporting_unit_code)
        record = await repository.certificate(uow.session, trigger.certificate_id)
        assert record is not None  # the trigger's foreign key
        await _mark_evaluated(uow, trigger)
        created += await _evaluate(
            uow, record, TriggerKind(trigger.kind), trigger.occurred_on, here, actor
        )
    return created


async def _mark_evaluated(uow: UnitOfWork, trigger: CertificateTriggerRecord) -> None:
    trigger.status = TriggerStatus.EVALUATED.value
    trigger.evaluated_at = clock.now()
    await uow.flush()


async def evaluate_pending(database: Database) -> EvaluationReport:
    """The sweep (``python -m sme_funding evaluate-pending``, and the background task): every
    trigger awaiting an enterprise that funding's directory knows now is evaluated."""
    async with UnitOfWork(database) as uow:
        before = await repository.triggers_awaiting(
            uow.session, status=TriggerStatus.AWAITING_ENTERPRISE.value, known_only=True
        )
        created = await _evaluate_awaiting(uow, place=None, uscc=None, actor=SWEEP_ACTOR)
        await uow.commit()
    async with UnitOfWork(database) as uow:
        left = await repository.triggers_awaiting(
            uow.session, status=TriggerStatus.AWAITING_ENTERPRISE.value
        )
    return EvaluationReport(evaluated=len(before), created=created, still_awaiting=len(left))


# --- credit (consumer funding.enterprise-credit) ------------------------------------------------


async def flags_changed(uow: UnitOfWork, changed: FlagsChangedV1) -> int:
    """Keep the flags in force; a blocking one holds pending entitlements back (approved and
    later ones are not touched), lifting the last one releases the blocked. The number moved."""
    at = clock.now()
    await repository.record_credit(
        uow.session, uscc=changed.uscc, active_flags=sorted(set(changed.active_flags)), at=at
    )
    kinds = domain.blocking(changed.active_flags)
    if kinds:
        await repository.refresh_blocked_reason(uow.session, changed.uscc, kinds, at=at)
        moving = await repository.of_enterprise_in_status(
            uow.session, changed.uscc, EntitlementStatus.PENDING_APPROVAL.value
        )
        target, remarks = EntitlementStatus.BLOCKED, f"credit flags in force: {', '.join(kinds)}"
    else:
        moving = await repository.of_enterprise_in_status(
            uow.session, changed.uscc, EntitlementStatus.BLOCKED.value
        )
        target, remarks = EntitlementStatus.PENDING_APPROVAL, "no blocking credit flag in force"
    for entitlement in moving:
        await move_status(
            uow,
            entitlement,
            target,
            actor=CREDIT_ACTOR,
            remarks=remarks,
            blocked_reason=kinds if target is EntitlementStatus.BLOCKED else None,
        )
    return len(moving)


# --- status changes (for this module and the approval, payment and clawback modules) ----------


STATUS_CONFLICT = "entitlement_status_conflict"


async def move_status(
    uow: UnitOfWork,
    entitlement: Entitlement,
    target: EntitlementStatus,
    *,
    actor: str,
    remarks: str | None = None,
    blocked_reason: list[str] | None = None,
) -> None:
    """Move a (locked) entitlement to ``target`` if ``domain.TRANSITIONS`` allows it (else 409
    ``entitlement_status_conflict``), with a step in its history and its version raised. Does
    not commit."""
    current = EntitlementStatus(entitlement.status)
    if not domain.can_move(current, target):
        raise Conflict(
            STATUS_CONFLICT,
            f"An entitlement that is {current.value} cannot become {target.value}",
            f"状态为 {current.value} 的兑现事项不能变更为 {target.value}",
            field="status",
            extra={"status": current.value},
        )
    at = clock.now()
    await repository.set_status(
        uow.session, entitlement, status=target.value, blocked_reason=blocked_reason, at=at
    )
    await repository.add_step(
        uow.session,
        entitlement_id=entitlement.id,
        from_status=current.value,
        to_status=target.value,
        actor=actor,
        at=at,
        remarks=remarks,
    )


# --- the API ------------------------------------------------------------------------------------


def _read(entitlement: Entitlement) -> EntitlementRead:
    return EntitlementRead.model_validate(entitlement)


async def _detail(uow: UnitOfWork, entitlement: Entitlement) -> EntitlementDetail:
    steps = await repository.steps_of(uow.session, entitlement.id)
    return EntitlementDetail(
        **_read(entitlement).model_dump(),
        history=[EntitlementStepRead.model_validate(s) for s in steps],
    )


async def _in_scope(
    uow: UnitOfWork, entitlement_id: str, actor: Principal, *, for_update: bool = False
) -> Entitlement:
    entitlement = await repository.in_scope(
        uow.session, entitlement_id, actor.region_scope(), for_update=for_update
    )
    if entitlement is None:
        raise not_found(ENTITLEMENT, entitlement_id, field="entitlement_id")
    return entitlement


async def get_entitlement(
    database: Database, *, entitlement_id: str, actor: Principal
) -> EntitlementDetail:
    async with UnitOfWork(database) as uow:
        return await _detail(uow, await _in_scope(uow, entitlement_id, actor))


def _page(rows: Sequence[Entitlement], limit: int) -> EntitlementPage:
    items = [_read(row) for row in rows[:limit]]
    next_cursor = CURSOR.encode(items[-1].id) if len(rows) > limit and items else None
    return EntitlementPage(items=items, next_cursor=next_cursor)


async def list_entitlements(
    database: Database, *, filters: EntitlementFilters, actor: Principal
) -> EntitlementPage:
    after = CURSOR.after(filters.cursor)
    where = repository.EntitlementQuery(
        status=filters.status.value if filters.status else None,
        policy_code=filters.policy_code,
        uscc=filters.uscc,
        region_code=filters.region,
        year=filters.year,
        certificate_id=filters.certificate_id,
    )
    async with UnitOfWork(database) as uow:
        rows = await repository.page(
            uow.session, actor.region_scope(), where, after=after, limit=filters.limit
        )
        return _page(rows, filters.limit)


async def enterprise_entitlements(
    database: Database, *, uscc: str, filters: EnterpriseEntitlementFilters, actor: Principal
) -> EntitlementPage:
    """An enterprise's entitlements; 404 ``enterprise_not_found`` outside the caller's region."""
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(directory.get, uow.session, uscc, actor)
        where = repository.EntitlementQuery(
            uscc=uscc, status=filters.status.value if filters.status else None
        )
        rows = await repository.page(
            uow.session, actor.region_scope(), where, after=after, limit=filters.limit
        )
        return _page(rows, filters.limit)


async def cancel_entitlement(
    database: Database,
    *,
    entitlement_id: str,
    command: Cancellation,
    actor: Principal,
) -> EntitlementDetail:
    """Cancel (取消) an entitlement not yet approved: blocked or pending approval only."""
    async with UnitOfWork(database) as uow:
        entitlement = await _in_scope(uow, entitlement_id, actor, for_update=True)
        expect_version(
            ENTITLEMENT, entitlement_id, current=entitlement.version, sent=command.version
        )
        current = EntitlementStatus(entitlement.status)
        if current not in domain.CANCELLABLE:
            raise Conflict(
                STATUS_CONFLICT,
                f"Only a blocked or pending entitlement can be cancelled here; this one is "
                f"{current.value}",
                f"只能取消冻结或待审批的兑现事项，当前状态为 {current.value}",
                field="status",
                extra={"status": current.value},
            )
        await move_status(
            uow,
            entitlement,
            EntitlementStatus.CANCELLED,
            actor=actor.subject,
            remarks=command.reason,
        )
        detail = await _detail(uow, entitlement)
        await uow.commit()
    return detail
