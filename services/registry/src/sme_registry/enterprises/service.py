"""Use cases on enterprises. Each owns its transaction; routes and consumers call these."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork, utcnow
from sme_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.reference.industries import IndustryCatalog
from sme_common.reference.regions import RegionCatalog
from sme_registry.enterprises import domain, repository
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_registered
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.schemas import EnterpriseCreate, EnterpriseRead

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _business_today(now: datetime) -> datetime:
    return now.astimezone(SHANGHAI)


async def register_enterprise(
    database: Database,
    *,
    command: EnterpriseCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    """Enter a new enterprise in the register and announce it (registry.enterprise.registered.v1)."""
    now = utcnow()
    try:
        identity = domain.identify(
            uscc=command.uscc,
            region_code=command.region_code,
            reporting_unit_code=command.reporting_unit_code,
            industry_code=command.industry_code,
            founded_on=command.founded_on,
            today=_business_today(now).date(),
            regions=RegionCatalog.load(),
            industries=IndustryCatalog.load(),
        )
    except domain.EnterpriseRuleError as exc:
        raise InvalidInput(exc.code, exc.detail, exc.detail_zh, field=exc.field) from exc
    if not actor.region_scope().covers(identity.region_code, identity.reporting_unit.code):
        raise Forbidden(
            "region_forbidden",
            "You may register enterprises only in your own region",
            "只能登记本辖区内的企业",
            field="region_code",
        )

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        if await repository.exists(uow.session, identity.uscc):
            raise Conflict(
                "enterprise_exists",
                f"Enterprise {identity.uscc} is already registered",
                f"企业 {identity.uscc} 已登记",
                field="uscc",
            )
        enterprise = Enterprise(
            uscc=identity.uscc,
            name=command.name,
            legal_representative=command.legal_representative,
            region_code=identity.region_code,
            reporting_unit_code=identity.reporting_unit.code,
            industry_code=identity.industry_code,
            founded_on=command.founded_on,
            operating_status=command.operating_status.value,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=actor.subject,
        )
        uow.session.add(enterprise)
        await uow.flush()
        uow.publish(ENTERPRISE_TOPIC, enterprise_registered(enterprise))
        return 201, EnterpriseRead.model_validate(enterprise).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def get_enterprise(database: Database, *, uscc: str, actor: Principal) -> EnterpriseRead:
    async with UnitOfWork(database) as uow:
        enterprise = await repository.get(uow.session, uscc, actor.region_scope())
        if enterprise is None:
            raise NotFound(
                "enterprise_not_found",
                f"No enterprise {uscc} in your region",
                f"您的辖区内没有该企业：{uscc}",
                field="uscc",
            )
        return EnterpriseRead.model_validate(enterprise)
