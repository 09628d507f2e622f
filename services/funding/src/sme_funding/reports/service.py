"""Funding reports (issue 9 item 9): per policy, fund, 市州 or year, the entitlements and the money
entitled, committed, paid, ordered back and recovered; one SQL aggregate, region-scoped in SQL
(an officer sees the entitlements of the region they serve)."""

from __future__ import annotations

import csv
import io

from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_funding.reports import repository
from sme_funding.reports.schemas import FundingReport, ReportFilters, ReportRow

COLUMNS = (
    "key",
    "entitlements",
    "entitled_fen",
    "committed_fen",
    "paid_fen",
    "recovery_raised_fen",
    "recovered_fen",
    "outstanding_recovery_fen",
)


async def funding_report(
    database: Database, *, filters: ReportFilters, actor: Principal
) -> FundingReport:
    async with UnitOfWork(database) as uow:
        rows = await repository.aggregate(
            uow.session, actor.region_scope(), group_by=filters.group_by, year=filters.year
        )
    items = [
        ReportRow(
            key=str(r.key),
            entitlements=int(r.entitlements),
            entitled_fen=int(r.entitled_fen),
            committed_fen=int(r.committed_fen),
            paid_fen=int(r.paid_fen),
            recovery_raised_fen=int(r.recovery_raised_fen),
            recovered_fen=int(r.recovered_fen),
            outstanding_recovery_fen=int(r.recovery_raised_fen) - int(r.recovered_fen),
        )
        for r in rows
    ]
    total = ReportRow(
        key="total",
        **{name: sum(getattr(i, name) for i in items) for name in COLUMNS if name != "key"},
    )
    return FundingReport(group_by=filters.group_by, year=filters.year, rows=items, total=total)


def report_csv(report: FundingReport) -> bytes:
    """The rows and the total as CSV (UTF-8 with BOM, for spreadsheet programs)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([report.group_by.value, *COLUMNS[1:]])
    for row in [*report.rows, report.total]:
        writer.writerow([getattr(row, name) for name in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
