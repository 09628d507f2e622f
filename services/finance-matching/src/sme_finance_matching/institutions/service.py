"""Institutions: registered by the province with their API clients; read by officers of the
region they serve and by their own clients; changed by the province or by themselves.

``viewer_of`` turns a caller into what the other modules filter by: an officer (region scope), an
enterprise (its USCC) or an institution (the one its client is linked to)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import OFFICER_ROLES, Principal, RegionScope, Role
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, Forbidden
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, ensure_in_region, expect_version, not_found
from sme_common.reference.regions import RegionCatalog
from sme_finance_matching.certified import repository as certified
from sme_finance_matching.institutions import domain, repository
from sme_finance_matching.institutions.domain import InstitutionKind, InstitutionStatus
from sme_finance_matching.institutions.models import Institution, InstitutionClient
from sme_finance_matching.institutions.schemas import (
    InstitutionCreate,
    InstitutionFilters,
    InstitutionPage,
    InstitutionRead,
    InstitutionUpdate,
)

INSTITUTION = Resource("institution", "institution {key}", "金融机构 {key}")
CURSOR = KeyCursor(re.compile(r"inst_[0-9a-f]{12}"), member="i")
_PEOPLE = OFFICER_ROLES | {Role.PLATFORM_ADMIN, Role.ENTERPRISE}
_INSTITUTION_FIELDS = frozenset({"name", "region_codes", "tiers"})
"""What an institution may change about itself; kind, USCC, province and status are the
province's."""


@dataclass(frozen=True)
class Viewer:
    """Who reads or writes, as the queries filter by it."""

    principal: Principal
    institution_id: str | None = None
    """The institution an institution's client acts for (None for people)."""

    @property
    def is_institution(self) -> bool:
        return self.institution_id is not None

    @property
    def is_enterprise(self) -> bool:
        return Role.ENTERPRISE in self.principal.roles and not self.is_institution

    @property
    def scope(self) -> RegionScope:
        return self.principal.region_scope()


def client_unknown() -> Forbidden:
    return Forbidden(
        "institution_client_unknown",
        "This client is not linked to an institution it may act for",
        "该客户端未关联可代表的金融机构",
        field="client_id",
    )


async def viewer_of(session: AsyncSession, principal: Principal) -> Viewer:
    """Officers, admins and enterprises as themselves; a ``bank``/``guarantor`` client as the one
    institution its ``client_id`` claim is linked to, provided its role may act for that kind of
    institution (403 ``institution_client_unknown`` otherwise: it sees nothing)."""
    if principal.roles & _PEOPLE:
        return Viewer(principal)
    if not principal.client_id:
        raise client_unknown()
    institution = await repository.institution_of_client(session, principal.client_id)
    if institution is None or not domain.role_may_act_for(
        principal.roles, InstitutionKind(institution.kind)
    ):
        raise client_unknown()
    return Viewer(principal, institution.id)


def _read(institution: Institution, client_ids: list[str]) -> InstitutionRead:
    return InstitutionRead(
        id=institution.id,
        kind=InstitutionKind(institution.kind),
        name=institution.name,
        uscc=institution.uscc,
        province_code=institution.province_code,
        region_codes=list(institution.region_codes),
        tiers=[domain.Tier(t) for t in institution.tiers],
        client_ids=client_ids,
        status=InstitutionStatus(institution.status),
        version=institution.version,
        created_at=institution.created_at,
        created_by=institution.created_by,
        updated_at=institution.updated_at,
        updated_by=institution.updated_by,
    )


async def _read_one(session: AsyncSession, institution: Institution) -> InstitutionRead:
    clients = await repository.client_ids(session, [institution.id])
    return _read(institution, clients[institution.id])


async def _check_clients_free(session: AsyncSession, client_ids: list[str]) -> None:
    for client_id in client_ids:
        if await repository.get_client(session, client_id) is not None:
            raise Conflict(
                "client_already_linked",
                f"Client {client_id} already acts for an institution",
                f"客户端 {client_id} 已关联其他金融机构",
                field="client_id",
            )


async def create_institution(
    database: Database,
    *,
    command: InstitutionCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    catalog = RegionCatalog.load()
    domain.check_province(command.province_code, catalog)
    ensure_in_region(actor, command.province_code, command.province_code, field="province_code")
    region_codes = domain.check_region_codes(
        command.province_code, command.region_codes, catalog, field="region_codes"
    )
    client_ids = sorted(set(command.client_ids))
    now = clock.now()

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        if await repository.get_by_uscc(uow.session, command.uscc) is not None:
            raise Conflict(
                "institution_exists",
                f"An institution with USCC {command.uscc} is registered",
                f"统一社会信用代码为 {command.uscc} 的金融机构已登记",
                field="uscc",
            )
        await _check_clients_free(uow.session, client_ids)
        institution = Institution(
            id=f"inst_{secrets.token_hex(6)}",
            kind=command.kind.value,
            name=command.name,
            uscc=command.uscc,
            province_code=command.province_code,
            region_codes=region_codes,
            tiers=sorted({t.value for t in command.tiers}),
            status=InstitutionStatus.ACTIVE.value,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        uow.session.add(institution)
        await uow.flush()
        for client_id in client_ids:
            uow.session.add(
                InstitutionClient(
                    client_id=client_id,
                    institution_id=institution.id,
                    linked_at=now,
                    linked_by=actor.subject,
                )
            )
        await uow.flush()
        return 201, _read(institution, client_ids).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def _in_view(
    session: AsyncSession, institution_id: str, viewer: Viewer, *, for_update: bool = False
) -> Institution:
    where = repository.visible(
        None if viewer.is_institution else viewer.scope, viewer.institution_id
    )
    institution = await repository.get(session, institution_id, where, for_update=for_update)
    if institution is None:
        raise not_found(INSTITUTION, institution_id, field="institution_id")
    return institution


async def get_institution(
    database: Database, *, institution_id: str, actor: Principal
) -> InstitutionRead:
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        institution = await _in_view(uow.session, institution_id, viewer)
        return await _read_one(uow.session, institution)


async def list_institutions(
    database: Database, *, filters: InstitutionFilters, actor: Principal
) -> InstitutionPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        where = repository.visible(
            None if viewer.is_institution else viewer.scope, viewer.institution_id
        )
        rows = await repository.find(uow.session, where, filters, after=after)
        page, last = split_page(rows, filters.limit)
        clients = await repository.client_ids(uow.session, [i.id for i in page])
        return InstitutionPage(
            items=[_read(i, clients[i.id]) for i in page],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )


def _province_only(field: str) -> Forbidden:
    return Forbidden(
        "institution_field_forbidden",
        f"Only the province changes {field} of an institution",
        f"金融机构的 {field} 只能由省级主管部门修改",
        field=field,
    )


async def update_institution(
    database: Database, *, institution_id: str, command: InstitutionUpdate, actor: Principal
) -> InstitutionRead:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        if command.region_codes is not None or command.tiers is not None:
            # A new scope decides the pending deltas again under the change log's lock (the
            # institution's trigger, migration 0013). Taken before the institution's row: a
            # snapshot holds it shared and then references the row, a recorded change holds it
            # and queues for the institution; the other order would deadlock with them.
            await certified.lock_for_change(uow.session)
        viewer = await viewer_of(uow.session, actor)
        institution = await _in_view(uow.session, institution_id, viewer, for_update=True)
        changes = {
            k: getattr(command, k)
            for k in command.model_fields_set
            if k != "version" and getattr(command, k) is not None
        }
        if viewer.is_institution:
            for field in sorted(set(changes) - _INSTITUTION_FIELDS):
                raise _province_only(field)
        expect_version(
            INSTITUTION, institution_id, current=institution.version, sent=command.version
        )
        if "region_codes" in changes:
            changes["region_codes"] = domain.check_region_codes(
                institution.province_code,
                changes["region_codes"],
                RegionCatalog.load(),
                field="region_codes",
            )
        if "tiers" in changes:
            changes["tiers"] = sorted({t.value for t in changes["tiers"]})
        if "status" in changes:
            changes["status"] = changes["status"].value
        changed = {k: v for k, v in changes.items() if getattr(institution, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(institution, key, value)
            institution.version += 1
            institution.updated_at, institution.updated_by = now, actor.subject
            await uow.flush()
        read = await _read_one(uow.session, institution)
        if changed:
            await uow.commit()
        return read


async def link_client(
    database: Database, *, institution_id: str, client_id: str, actor: Principal
) -> InstitutionRead:
    """Let the OAuth2 client ``client_id`` act for the institution (409 if it acts for one)."""
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        institution = await _in_view(uow.session, institution_id, viewer, for_update=True)
        await _check_clients_free(uow.session, [client_id])
        uow.session.add(
            InstitutionClient(
                client_id=client_id,
                institution_id=institution.id,
                linked_at=clock.now(),
                linked_by=actor.subject,
            )
        )
        await uow.flush()
        read = await _read_one(uow.session, institution)
        await uow.commit()
        return read


async def unlink_client(
    database: Database, *, institution_id: str, client_id: str, actor: Principal
) -> InstitutionRead:
    """The client stops acting for the institution: its tokens see nothing from now on."""
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        institution = await _in_view(uow.session, institution_id, viewer, for_update=True)
        link = await repository.get_client(uow.session, client_id)
        if link is None or link.institution_id != institution.id:
            raise not_found(
                Resource("client", "client {key}", "客户端 {key}"), client_id, field="client_id"
            )
        await uow.session.delete(link)
        await uow.flush()
        read = await _read_one(uow.session, institution)
        await uow.commit()
        return read
