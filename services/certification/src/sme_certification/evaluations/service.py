"""Rule documents in force, officers' new versions, re-evaluations and the stored results."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.evaluations import domain, repository
from sme_certification.evaluations.domain import StoredDocument
from sme_certification.evaluations.models import (
    EvaluationResult,
    EvaluationRun,
    RuleDocumentVersion,
)
from sme_certification.evaluations.schemas import (
    VERSION_PATTERN,
    EvaluationHistory,
    EvaluationRead,
    RuleDocumentList,
    RuleDocumentRead,
    RuleDocumentSummary,
    RuleDocumentUpload,
    RuleDocumentVersionRead,
)
from sme_certification.rules.facts import ApplicationKind, Tier
from sme_certification.rules.predicates import RuleDataError
from sme_certification.rules.ruleset import RuleCatalog, TierRules, fingerprint, packaged_documents
from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict, InvalidInput
from sme_common.problems import Resource, enterprise_in_scope, not_found, region_forbidden


async def catalog_on(session: AsyncSession, day: date) -> RuleCatalog:
    """The rule catalog in force on ``day``: the shipped documents with the officers' stored
    versions in force that day in their place."""
    stored = await repository.stored_documents(session)
    return RuleCatalog.from_documents(domain.documents_in_force(packaged_documents(), stored, day))


RULE_DOCUMENT = Resource("rule_document", "rule document {key}", "认定标准文件 {key}")
EVALUATION = Resource("evaluation", "evaluation {key}", "评价结果 {key}")


def _summary(
    document: Mapping[str, Any], stored: RuleDocumentVersion | None
) -> RuleDocumentSummary:
    return RuleDocumentSummary(
        document_id=str(document["id"]),
        kind=str(document.get("kind", "")),
        version=str(document["version"]),
        title_zh=str(document.get("title_zh", "")),
        fingerprint=fingerprint(document),
        origin="packaged" if stored is None else "stored",
        effective_from=None if stored is None else stored.effective_from,
        source_citation=None if stored is None else stored.source_citation,
        unverified_count=domain.count_unverified(document),
        recorded_at=None if stored is None else stored.recorded_at,
        recorded_by=None if stored is None else stored.recorded_by,
    )


async def _in_force(
    session: AsyncSession, on: date
) -> list[tuple[Mapping[str, Any], RuleDocumentVersion | None]]:
    rows = (await session.scalars(select(RuleDocumentVersion))).all()
    stored = [StoredDocument(r.document_id, r.version, r.effective_from, r.document) for r in rows]
    documents = domain.documents_in_force(packaged_documents(), stored, on)
    by_key = {(r.document_id, r.version, fingerprint(r.document)): r for r in rows}
    return [(d, by_key.get((str(d["id"]), str(d["version"]), fingerprint(d)))) for d in documents]


async def list_documents(database: Database, on: date | None) -> RuleDocumentList:
    day = on or clock.business_today()
    async with database.sessionmaker() as session:
        in_force = await _in_force(session, day)
    return RuleDocumentList(on=day, items=[_summary(d, s) for d, s in in_force])


async def get_document(database: Database, document_id: str, on: date | None) -> RuleDocumentRead:
    day = on or clock.business_today()
    async with database.sessionmaker() as session:
        in_force = await _in_force(session, day)
        versions = await repository.versions_of(session, document_id)
    for document, stored in in_force:
        if document["id"] == document_id:
            return RuleDocumentRead(
                on=day,
                current=_summary(document, stored),
                document=dict(document),
                versions=[RuleDocumentVersionRead.model_validate(v) for v in versions],
            )
    raise not_found(RULE_DOCUMENT, document_id, field="document_id")


def _refuse(code: str, detail: str, detail_zh: str, field: str) -> InvalidInput:
    return InvalidInput(code, detail, detail_zh, field=field)


def _check_upload(
    document_id: str, body: RuleDocumentUpload, actor: Principal, today: date
) -> tuple[str, str]:
    """The version and kind of an upload, or the reason it is refused (before any rule is read)."""
    document = body.document
    if document.get("id") != document_id:
        raise _refuse(
            "rule_document_id_mismatch",
            f"The document's id must be {document_id!r}, the one in the path",
            f"文件的 id 应与路径中的 {document_id} 一致",
            "document.id",
        )
    version = document.get("version")
    if not isinstance(version, str) or not re.fullmatch(VERSION_PATTERN, version):
        raise _refuse(
            "rule_document_version_invalid",
            "The document's version is a short text (letters, digits, . _ -)",
            "文件的 version 应为简短文本（字母、数字、. _ -）",
            "document.version",
        )
    if body.effective_from < today:
        raise _refuse(
            "effective_from_in_past",
            "A new version takes effect today or later: what was in force before stays as it was",
            "新版本只能自今日或以后生效，已生效的标准不可追溯修改",
            "effective_from",
        )
    kind = str(document.get("kind"))
    province = document.get("province")
    if kind == "overlay" and isinstance(province, str):
        if not actor.region_scope().covers(province, province):
            raise region_forbidden(province, field="document.province")
    return version, kind


async def upload_version(
    database: Database, document_id: str, body: RuleDocumentUpload, actor: Principal
) -> RuleDocumentVersionRead:
    """Store a new version of a rule document, after the whole catalog in force on its first day
    compiled with it (a bad rule is refused naming its path; UNVERIFIED labels stay as sent)."""
    today = clock.business_today()
    version, kind = _check_upload(document_id, body, actor, today)
    async with UnitOfWork(database) as uow:
        rows = (await uow.session.scalars(select(RuleDocumentVersion))).all()
        stored = [
            StoredDocument(r.document_id, r.version, r.effective_from, r.document) for r in rows
        ]
        earlier = [
            d
            for d in domain.documents_in_force(packaged_documents(), stored, date.max)
            if d["id"] == document_id
        ]
        if not earlier:
            # A version of a document the catalog knows: a new document (a new national rule
            # set, a new province's overlay) changes what the selection wires, so it is a release.
            raise not_found(RULE_DOCUMENT, document_id, field="document_id")
        if earlier[0].get("kind") != kind:
            raise _refuse(
                "rule_document_kind_changed",
                f"{document_id} is a {earlier[0].get('kind')} document; a version keeps its kind",
                f"{document_id} 的类型不能改变",
                "document.kind",
            )
        taken = {(r.document_id, r.version) for r in rows}
        packaged_versions = {(str(d["id"]), str(d["version"])) for d in packaged_documents()}
        if (document_id, version) in taken | packaged_versions:
            raise Conflict(
                "rule_document_version_exists",
                f"{document_id} version {version} exists; give the new version its own number",
                f"{document_id} 第 {version} 版已存在，请使用新的版本号",
                field="document.version",
            )
        candidate = StoredDocument(document_id, version, body.effective_from, body.document)
        try:
            RuleCatalog.from_documents(
                domain.documents_in_force(
                    packaged_documents(), [*stored, candidate], body.effective_from
                )
            )
        except RuleDataError as error:
            raise _refuse(
                "rule_document_invalid",
                f"The rule document cannot be used: {error.path}: {error.message}",
                f"认定标准文件有误：{error.path}：{error.message}",
                f"document.{error.path}",
            ) from None
        row = RuleDocumentVersion(
            id=f"rdv_{secrets.token_hex(8)}",
            document_id=document_id,
            version=version,
            kind=kind,
            effective_from=body.effective_from,
            document=body.document,
            fingerprint=fingerprint(body.document),
            source_citation=body.source_citation,
            unverified_count=domain.count_unverified(body.document),
            note=body.note,
            recorded_at=clock.now(),
            recorded_by=actor.subject,
        )
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
        return RuleDocumentVersionRead.model_validate(row)


def _read(result: EvaluationResult, run: EvaluationRun) -> EvaluationRead:
    return EvaluationRead(
        run_id=result.run_id,
        uscc=result.uscc,
        tier=result.tier,
        level=result.level,
        kind=run.kind,
        as_of=run.as_of,
        outcome=result.outcome,
        score_points=result.score_points,
        rule_set_id=result.rule_set_id,
        rule_set_version=result.rule_set_version,
        fingerprint=result.fingerprint,
        evaluated_at=result.evaluated_at,
    )


async def evaluations_of(
    database: Database, uscc: str, actor: Principal, limit: int
) -> EvaluationHistory:
    async with database.sessionmaker() as session:
        await enterprise_in_scope(directory.get, session, uscc, actor)
        rows = await repository.results_of(session, uscc, limit)
    history = [_read(result, run) for result, run in rows]
    return EvaluationHistory(uscc=uscc, latest=history[0] if history else None, history=history)


async def _rules_of(
    session: AsyncSession, result: EvaluationResult, run: EvaluationRun
) -> TierRules | None:
    """The compiled rules that produced a stored result (same fingerprint), if still loadable."""
    catalog = await catalog_on(session, run.as_of)
    document = catalog.national.get(result.rule_set_id)
    if document is None or fingerprint(document) != result.fingerprint:
        return None
    overlays = tuple(o[0] for o in result.explanation.get("overlays", ()))
    try:
        return catalog.tier_rules(
            result.rule_set_id, Tier(result.tier), ApplicationKind(run.kind), overlays
        )
    except (RuleDataError, ValueError):
        return None


async def export_evaluation(
    database: Database, uscc: str, run_id: str, actor: Principal
) -> tuple[EvaluationRead, dict[str, Any]]:
    """One stored result with its explanation expanded (names, sources, verification)."""
    async with database.sessionmaker() as session:
        await enterprise_in_scope(directory.get, session, uscc, actor)
        found = await repository.result_of(session, run_id, uscc)
        if found is None:
            raise not_found(EVALUATION, f"{run_id}/{uscc}", field="run_id")
        result, run = found
        rules = await _rules_of(session, result, run)
    return _read(result, run), domain.expand(result.explanation, rules)


CSV_COLUMNS = (
    "uscc",
    "run_id",
    "rule_set_id",
    "rule_set_version",
    "fingerprint",
    "outcome",
    "score_points",
    "criterion_id",
    "name_zh",
    "verification",
    "result",
    "points",
    "band",
)


def csv_summary(read: EvaluationRead, explanation: Mapping[str, Any]) -> str:
    """One line per criterion, the run's identity repeated (a spreadsheet's summary)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for criterion in explanation.get("criteria", ()):
        writer.writerow(
            (
                read.uscc,
                read.run_id,
                read.rule_set_id,
                read.rule_set_version,
                read.fingerprint,
                read.outcome,
                "" if read.score_points is None else read.score_points,
                criterion["id"],
                criterion.get("name_zh", ""),
                criterion.get("verification", ""),
                criterion["result"],
                "" if criterion.get("points") is None else criterion["points"],
                criterion.get("band") or "",
            )
        )
    return out.getvalue()
