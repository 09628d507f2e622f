"""Batches: created and changed by the province, read by every officer; the report of each 市州's
recommendations against its cap and its minimum."""

from __future__ import annotations

import secrets

from sme_certification.applications import repository as applications
from sme_certification.batches import domain, repository
from sme_certification.batches.domain import BatchStatus
from sme_certification.batches.models import Batch
from sme_certification.batches.schemas import (
    BatchCreate,
    BatchFilters,
    BatchPage,
    BatchRead,
    BatchUpdate,
    RecommendationReport,
    UnitCountRead,
)
from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.problems import Resource, ensure_in_region, expect_version, not_found
from sme_common.reference.regions import RegionCatalog

BATCH = Resource("batch", "batch {key}", "申报批次 {key}")


def _check_counts(batch_province: str, caps: dict[str, int], minimums: dict[str, int]) -> None:
    catalog = RegionCatalog.load()
    domain.check_counts_by_unit(caps, batch_province, field="city_caps", catalog=catalog)
    domain.check_counts_by_unit(minimums, batch_province, field="city_minimums", catalog=catalog)


async def create_batch(
    database: Database,
    *,
    command: BatchCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    domain.check_province(command.province_code, RegionCatalog.load())
    ensure_in_region(actor, command.province_code, command.province_code, field="province_code")
    domain.check_window(command.opens_on, command.closes_on)
    _check_counts(command.province_code, command.city_caps, command.city_minimums)
    now = clock.now()

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        batch = Batch(
            id=f"batch_{secrets.token_hex(6)}",
            tier=command.tier.value,
            level=command.level.value,
            year=command.year,
            title=command.title,
            province_code=command.province_code,
            opens_on=command.opens_on,
            closes_on=command.closes_on,
            status=BatchStatus.DRAFT.value,
            city_caps=dict(command.city_caps),
            city_minimums=dict(command.city_minimums),
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        uow.session.add(batch)
        await uow.flush()
        return 201, BatchRead.model_validate(batch).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def update_batch(
    database: Database, *, batch_id: str, command: BatchUpdate, actor: Principal
) -> BatchRead:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        batch = await repository.get(uow.session, batch_id, for_update=True)
        if batch is None:
            raise not_found(BATCH, batch_id, field="batch_id")
        ensure_in_region(actor, batch.province_code, batch.province_code, field="batch_id")
        expect_version(BATCH, batch_id, current=batch.version, sent=command.version)
        current = BatchStatus(batch.status)
        changes = {
            k: getattr(command, k)
            for k in command.model_fields_set
            if k != "version" and getattr(command, k) is not None
        }
        if "status" in changes:
            domain.check_status_change(current, changes["status"])
            changes["status"] = changes["status"].value
        if set(changes) - {"status"}:
            domain.check_not_closed(current, batch_id)
        domain.check_window(
            changes.get("opens_on", batch.opens_on), changes.get("closes_on", batch.closes_on)
        )
        _check_counts(
            batch.province_code,
            changes.get("city_caps", batch.city_caps),
            changes.get("city_minimums", batch.city_minimums),
        )
        changed = {k: v for k, v in changes.items() if getattr(batch, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(batch, key, value)
            batch.version += 1
            batch.updated_at, batch.updated_by = now, actor.subject
            await uow.commit()
        return BatchRead.model_validate(batch)


async def get_batch(database: Database, *, batch_id: str) -> BatchRead:
    async with UnitOfWork(database) as uow:
        batch = await repository.get(uow.session, batch_id)
        if batch is None:
            raise not_found(BATCH, batch_id, field="batch_id")
        return BatchRead.model_validate(batch)


async def list_batches(database: Database, *, filters: BatchFilters) -> BatchPage:
    async with UnitOfWork(database) as uow:
        rows = await repository.find(uow.session, filters)
        return BatchPage(items=[BatchRead.model_validate(r) for r in rows])


async def recommendation_report(database: Database, *, batch_id: str) -> RecommendationReport:
    """Each 市州's recommendations in the batch against its cap and minimum (Guizhou's floor of 20
    is reported here as a shortfall; nothing is refused for it)."""
    async with UnitOfWork(database) as uow:
        batch = await repository.get(uow.session, batch_id)
        if batch is None:
            raise not_found(BATCH, batch_id, field="batch_id")
        recommended = await applications.recommended_by_unit(uow.session, batch_id)
        counts = domain.unit_counts(recommended, batch.city_caps, batch.city_minimums)
        return RecommendationReport(
            batch_id=batch_id,
            units=[
                UnitCountRead(
                    reporting_unit_code=c.reporting_unit_code,
                    recommended=c.recommended,
                    cap=c.cap,
                    remaining=c.remaining,
                    minimum=c.minimum,
                    shortfall=c.shortfall,
                )
                for c in counts
            ],
        )
