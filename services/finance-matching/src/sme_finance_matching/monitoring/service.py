"""Monitoring: guarantee fees per guarantee agency against the ≤ 1.5 % target (seed 000 (十四)),
and loan statistics by institution, tier, 市州 and month, from the institutions' feedback.

Officers see the figures of the enterprises of their region; an institution's client its own
figures only (a bank asking for guarantee fees sees no agency's). The figures count what the
institutions reported: a guarantee is counted from the agency's own report (a bank's report of a
guaranteed loan counts as a loan, with its fee, never as the agency's guarantee, so nothing is
counted twice); the tier is the one declared on the need ("unknown" for reports on an enterprise
alone)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_finance_matching.feedback import repository as feedback
from sme_finance_matching.institutions.service import viewer_of
from sme_finance_matching.monitoring import domain, repository
from sme_finance_matching.monitoring.domain import FeeTarget
from sme_finance_matching.monitoring.schemas import (
    AgencyFees,
    FeeTargetRead,
    GuaranteeFeeFilters,
    GuaranteeFeeMonitor,
    LoanFilters,
    LoanGroup,
    LoanStatistics,
)


def _fees(row: Any) -> AgencyFees:
    return AgencyFees(
        institution_id=row.institution_id,
        institution_name=row.institution_name,
        guarantee_count=row.guarantee_count,
        amount_fen=int(row.amount_fen),
        average_fee_ratio=domain.ratio(row.average_fee_ratio),
        weighted_fee_ratio=domain.ratio(row.weighted_fee_ratio),
        max_fee_ratio=domain.ratio(row.max_fee_ratio),
        above_target_count=row.above_target_count,
        above_target_amount_fen=int(row.above_target_amount_fen),
        above_target_share=domain.share(row.above_target_count, row.guarantee_count),
        first_time_count=row.first_time_count,
    )


async def guarantee_fees(
    database: Database, *, filters: GuaranteeFeeFilters, actor: Principal
) -> GuaranteeFeeMonitor:
    domain.check_period(filters.from_on, filters.to_on)
    target = FeeTarget.load()
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        where = feedback.visible(scope=viewer.scope, institution_id=viewer.institution_id)
        tier = None if filters.tier is None else filters.tier.value
        common: dict[str, Any] = {
            "target": target.max_fee_ratio,
            "from_on": filters.from_on,
            "to_on": filters.to_on,
            "tier": tier,
        }
        rows = await repository.guarantee_fees(uow.session, where, per_agency=True, **common)
        (total,) = await repository.guarantee_fees(uow.session, where, per_agency=False, **common)
    return GuaranteeFeeMonitor(
        target=FeeTargetRead.model_validate(
            {
                "version": target.version,
                "max_fee_ratio": target.max_fee_ratio,
                "tiers": list(target.tiers),
                "source": target.source,
                "source_zh": target.source_zh,
            }
        ),
        from_on=filters.from_on,
        to_on=filters.to_on,
        tier=filters.tier,
        items=[_fees(r) for r in rows],
        totals=_fees(total),
    )


def _group(row: Any) -> LoanGroup:
    return LoanGroup(
        key=row.key,
        label=row.label,
        contacted_count=row.contacted_count,
        refused_count=row.refused_count,
        granted_count=row.granted_count,
        granted_amount_fen=int(row.granted_amount_fen),
        first_time_count=row.first_time_count,
        first_time_amount_fen=int(row.first_time_amount_fen),
        average_rate_ratio=domain.ratio(row.average_rate_ratio),
        guaranteed_count=row.guaranteed_count,
    )


async def loans(database: Database, *, filters: LoanFilters, actor: Principal) -> LoanStatistics:
    domain.check_period(filters.from_on, filters.to_on)
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        where = feedback.visible(scope=viewer.scope, institution_id=viewer.institution_id)
        common: dict[str, Any] = {
            "from_on": filters.from_on,
            "to_on": filters.to_on,
            "institution_id": filters.institution_id,
            "tier": None if filters.tier is None else filters.tier.value,
            "reporting_unit_code": filters.reporting_unit_code,
        }
        rows = await repository.loans(uow.session, where, grouping=filters.group_by, **common)
        (total,) = await repository.loans(uow.session, where, grouping=None, **common)
    return LoanStatistics(
        group_by=filters.group_by,
        from_on=filters.from_on,
        to_on=filters.to_on,
        items=[_group(r) for r in rows],
        totals=_group(total),
    )


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def fees_csv(monitor: GuaranteeFeeMonitor) -> bytes:
    """One line per agency, then the totals (``institution_id`` empty)."""
    fields = list(AgencyFees.model_fields)
    rows = [*monitor.items, monitor.totals]
    return _csv(fields, ([getattr(r, f) for f in fields] for r in rows))


def loans_csv(statistics: LoanStatistics) -> bytes:
    """One line per group, then the totals (``key`` empty)."""
    fields = list(LoanGroup.model_fields)
    rows = [*statistics.items, statistics.totals]
    return _csv(
        [statistics.group_by.value, *fields[1:]], ([getattr(r, f) for f in fields] for r in rows)
    )
