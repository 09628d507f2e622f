"""Every query of the rule-document versions and the evaluation results."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.evaluations.domain import StoredDocument
from sme_certification.evaluations.models import (
    EvaluationResult,
    EvaluationRun,
    RuleDocumentVersion,
)


async def stored_documents(session: AsyncSession) -> list[StoredDocument]:
    rows = (await session.scalars(select(RuleDocumentVersion))).all()
    return [StoredDocument(r.document_id, r.version, r.effective_from, r.document) for r in rows]


async def versions_of(session: AsyncSession, document_id: str) -> Sequence[RuleDocumentVersion]:
    query = select(RuleDocumentVersion).where(RuleDocumentVersion.document_id == document_id)
    order = (RuleDocumentVersion.effective_from.desc(), RuleDocumentVersion.recorded_at.desc())
    return (await session.scalars(query.order_by(*order))).all()


async def version_exists(session: AsyncSession, document_id: str, version: str) -> bool:
    query = select(RuleDocumentVersion.id).where(
        RuleDocumentVersion.document_id == document_id, RuleDocumentVersion.version == version
    )
    return (await session.scalar(query)) is not None


async def results_of(
    session: AsyncSession, uscc: str, limit: int
) -> Sequence[tuple[EvaluationResult, EvaluationRun]]:
    """The enterprise's results of finished runs, newest first (the caller checked the scope)."""
    query = (
        select(EvaluationResult, EvaluationRun)
        .join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
        .where(
            EvaluationResult.uscc == uscc,
            EvaluationRun.status == "finished",
        )
        .order_by(EvaluationResult.evaluated_at.desc(), EvaluationRun.attempt.desc())
        .limit(limit)
    )
    return [(r, run) for r, run in (await session.execute(query)).all()]


async def result_of(
    session: AsyncSession, run_id: str, uscc: str
) -> tuple[EvaluationResult, EvaluationRun] | None:
    query = (
        select(EvaluationResult, EvaluationRun)
        .join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
        .where(
            EvaluationResult.run_id == run_id,
            EvaluationResult.uscc == uscc,
        )
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def run_by_id(session: AsyncSession, run_id: str) -> EvaluationRun | None:
    return await session.get(EvaluationRun, run_id)
