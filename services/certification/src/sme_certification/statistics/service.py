"""Title statistics against the provincial targets, and the cultivation funnel, for officers in
their region and for agency systems."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from functools import cache
from importlib import resources

from sme_certification.statistics import domain, repository
from sme_certification.statistics.schemas import (
    Funnel,
    FunnelRowRead,
    TargetProgressRead,
    TargetRead,
    TargetSetRead,
    TitleRowRead,
    TitleStatistics,
)
from sme_common import clock
from sme_common.auth import Principal, Role
from sme_common.auth.principal import RegionLevel
from sme_common.db import Database
from sme_common.problems import region_forbidden
from sme_common.reference.regions import RegionCatalog

DEFAULT_PROVINCE = "620000"
"""Gansu, the first province (a platform admin who names none reads it)."""

CSV_COLUMNS = (
    "tier",
    "level",
    "reporting_unit_code",
    "reporting_unit_name",
    "year",
    "granted",
    "in_force",
    "expired",
    "revoked",
    "revoked_false_declaration",
)


@cache
def targets_file() -> domain.TargetsFile:
    text = (resources.files("sme_certification.statistics.data") / "targets.json").read_text(
        "utf-8"
    )
    return domain.parse_targets(json.loads(text))


def _provinces(catalog: RegionCatalog) -> list[str]:
    return [r.code for r in catalog.all() if r.level == "province" and r.valid_to_year is None]


def resolve_province(principal: Principal, province_code: str | None) -> str:
    """The province asked for, or the caller's own; an officer or agency system reads only its
    own province (403 ``region_forbidden``); a platform admin any."""
    catalog = RegionCatalog.load()
    own = principal.region[:2] + "0000" if principal.region else None
    if province_code is None:
        province_code = own or DEFAULT_PROVINCE
    domain.check_province(province_code, _provinces(catalog))
    if not principal.has_role(Role.PLATFORM_ADMIN) and own != province_code:
        raise region_forbidden(province_code, field="province_code")
    return province_code


def target_set_read(target_set: domain.TargetSet) -> TargetSetRead:
    return TargetSetRead(
        id=target_set.id,
        file_version=targets_file().version,
        province_code=target_set.province_code,
        name_zh=target_set.name_zh,
        sources=list(target_set.sources),
        deadline_on=target_set.deadline_on,
        counting=target_set.counting,
        counting_note_zh=target_set.counting_note_zh,
        counted_from=target_set.counted_from,
        counted_from_verification=target_set.counted_from_verification,
        targets=[
            TargetRead(tier=t.tier, level=t.level, at_least=t.at_least, name_zh=t.name_zh)
            for t in target_set.targets
        ],
    )


async def title_statistics(
    database: Database, *, province_code: str | None, actor: Principal
) -> TitleStatistics:
    province = resolve_province(actor, province_code)
    scope = actor.region_scope()
    today = clock.business_today()
    async with database.sessionmaker() as session, session.begin():
        rows = await repository.titles(session, province_code=province, scope=scope)
    titles = [domain.Title(*row) for row in rows]
    whole_province = scope.level is RegionLevel.ALL or (
        scope.level is RegionLevel.PROVINCE and scope.code == province
    )
    target_set = targets_file().for_province(province)
    progress = (
        domain.progress(target_set, titles, today=today, whole_province=whole_province)
        if target_set is not None
        else []
    )
    catalog = RegionCatalog.load()

    def unit_name(code: str) -> str:
        region = catalog.get(code)
        return region.name if region is not None else code

    return TitleStatistics(
        province_code=province,
        as_of=today,
        scope_level=scope.level.value,
        scope_code=scope.code,
        whole_province=whole_province,
        targets=target_set_read(target_set) if target_set is not None else None,
        progress=[
            TargetProgressRead(
                tier=p.target.tier,
                level=p.target.level,
                name_zh=p.target.name_zh,
                at_least=p.target.at_least,
                counting=p.counting,
                counted_on=p.counted_on,
                counted=p.counted,
                cumulative_now=p.cumulative_now,
                in_force_now=p.in_force_now,
                met=p.met,
            )
            for p in progress
        ],
        rows=[
            TitleRowRead(
                tier=r.tier,
                level=r.level,
                reporting_unit_code=r.reporting_unit_code,
                reporting_unit_name=unit_name(r.reporting_unit_code),
                year=r.year,
                granted=r.granted,
                in_force=r.in_force,
                expired=r.expired,
                revoked=r.revoked,
                revoked_false_declaration=r.revoked_false_declaration,
            )
            for r in domain.title_rows(titles)
        ],
    )


def title_rows_csv(statistics: TitleStatistics) -> bytes:
    """The rows as CSV in UTF-8 with a BOM (so that a spreadsheet reads the Chinese names). Every
    cell is a code, a catalogue name or a number: nothing a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in statistics.rows:
        values = row.model_dump()
        writer.writerow([values[column] for column in CSV_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def targets(*, province_code: str | None, actor: Principal) -> TargetSetRead | None:
    target_set = targets_file().for_province(resolve_province(actor, province_code))
    return target_set_read(target_set) if target_set is not None else None


async def funnel(
    database: Database, *, province_code: str | None, year: int | None, actor: Principal
) -> Funnel:
    province = resolve_province(actor, province_code)
    scope = actor.region_scope()
    async with database.sessionmaker() as session, session.begin():
        counts = await repository.applications_by_batch(
            session, province_code=province, scope=scope, year=year
        )
        granted = await repository.granted_by_batch(
            session, province_code=province, scope=scope, year=year
        )
    batches: dict[tuple[str, str, str, int], dict[str, int]] = defaultdict(dict)
    for batch_id, tier, level, batch_year, status, count in counts:
        batches[(batch_id, tier, level, batch_year)][status] = count
    rows = [
        domain.funnel_row(batch_id, tier, level, batch_year, by_status, granted.get(batch_id, 0))
        for (batch_id, tier, level, batch_year), by_status in batches.items()
    ]
    return Funnel(
        province_code=province,
        items=[
            FunnelRowRead(
                batch_id=r.batch_id,
                tier=r.tier,
                level=r.level,
                year=r.year,
                by_status=r.by_status,
                filed=r.filed,
                granted=r.granted,
            )
            for r in rows
        ],
    )
