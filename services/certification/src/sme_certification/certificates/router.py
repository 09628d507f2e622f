from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from sme_certification.certificates import service
from sme_certification.certificates.schemas import (
    CertificateFilters,
    CertificatePage,
    CertificateRead,
    CertificateRecord,
    ReReviewDecision,
    ReReviewFiling,
    Revocation,
    Verification,
)
from sme_certification.dependencies import CodePath, officer_writer, province_writer, reader
from sme_common.api import IDEMPOTENT, IdPath, replay_header
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_common.openapi import PUBLIC

router = APIRouter(tags=["certificates"])

PDF_CONTENT: dict[str, Any] = {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}
}
NOT_FOUND = {404: ("certificate_not_found",)}
CONFLICT = ("certificate_status_conflict",)


@router.post(
    "/certificates",
    status_code=201,
    response_model=CertificateRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            404,
            409,
            codes={
                404: ("enterprise_not_found",),
                409: (
                    "certificate_in_force",
                    "certificate_number_exists",
                    "reapplication_banned",
                    "idempotency_key_reused",
                ),
                422: ("issued_on_in_future", "idempotency_key_invalid"),
            },
        ),
    },
)
async def record_certificate(
    request: Request,
    body: CertificateRecord,
    principal: Annotated[Principal, Depends(province_writer)],
) -> JSONResponse:
    """Record a title granted before the platform existed (存量) or outside it; valid 3 years from
    ``issued_on``. Without ``number`` the platform numbers it (GS-ZJTX-2026-000123)."""
    outcome = await service.record_certificate(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
        number_prefix=request.app.state.settings.certificate_number_prefix,
    )
    return outcome.response()


@router.get(
    "/certificates",
    response_model=CertificatePage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_certificates(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    filters: Annotated[CertificateFilters, Query()],
) -> CertificatePage:
    """Certificates of the enterprises in your region, optionally of one enterprise, tier or
    status."""
    return await service.list_certificates(
        request.app.state.database, filters=filters, actor=principal
    )


@router.get(
    "/certificates/{certificate_id}",
    response_model=CertificateRead,
    responses=problems(404, codes=NOT_FOUND),
)
async def get_certificate(
    request: Request, certificate_id: IdPath, principal: Annotated[Principal, Depends(reader)]
) -> CertificateRead:
    return await service.get_certificate(
        request.app.state.database, certificate_id=certificate_id, actor=principal
    )


@router.get(
    "/certificates/{certificate_id}/pdf",
    response_class=Response,
    responses={
        200: {"description": "The printable certificate", "content": PDF_CONTENT},
        **problems(404, 503, codes={**NOT_FOUND, 503: ("certificate_font_missing",)}),
    },
)
async def get_certificate_pdf(
    request: Request, certificate_id: IdPath, principal: Annotated[Principal, Depends(reader)]
) -> Response:
    """The certificate as a PDF (Chinese text, its number and verification code)."""
    settings = request.app.state.settings
    filename, content = await service.certificate_pdf(
        request.app.state.database,
        certificate_id=certificate_id,
        actor=principal,
        font_path=settings.cjk_font_path,
        font_index=settings.cjk_font_index,
    )
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}"},
    )


@router.post(
    "/certificates/{certificate_id}/re-review/filing",
    response_model=CertificateRead,
    responses=problems(
        404,
        409,
        codes={
            **NOT_FOUND,
            409: CONFLICT,
            422: ("filed_on_in_future", "filed_on_before_issue", "re_review_filed_late"),
        },
    ),
)
async def file_re_review(
    request: Request,
    certificate_id: IdPath,
    body: ReReviewFiling,
    principal: Annotated[Principal, Depends(officer_writer)],
) -> CertificateRead:
    """The holder filed its re-review (复核) by the last valid day: the title stays valid (status
    under_re_review) until the province decides."""
    return await service.file_re_review(
        request.app.state.database, certificate_id=certificate_id, command=body, actor=principal
    )


@router.post(
    "/certificates/{certificate_id}/re-review/decision",
    response_model=CertificateRead,
    responses=problems(
        404,
        409,
        codes={
            **NOT_FOUND,
            409: (*CONFLICT, "re_review_not_filed"),
            422: ("decided_on_in_future", "decided_on_before_issue"),
        },
    ),
)
async def decide_re_review(
    request: Request,
    certificate_id: IdPath,
    body: ReReviewDecision,
    principal: Annotated[Principal, Depends(province_writer)],
) -> CertificateRead:
    """Passing: valid 3 more years (announced as renewed). Failing: revoked (failed_re_review)."""
    return await service.decide_re_review(
        request.app.state.database, certificate_id=certificate_id, command=body, actor=principal
    )


@router.post(
    "/certificates/{certificate_id}/revocation",
    response_model=CertificateRead,
    responses=problems(
        404,
        409,
        codes={
            **NOT_FOUND,
            409: CONFLICT,
            422: ("revoked_on_in_future", "revoked_on_before_issue"),
        },
    ),
)
async def revoke_certificate(
    request: Request,
    certificate_id: IdPath,
    body: Revocation,
    principal: Annotated[Principal, Depends(province_writer)],
) -> CertificateRead:
    """Revoke (撤销) a title in force, with its reason. A false declaration also bars the
    enterprise from applying for 3 years (工信厅企业函〔2026〕117号)."""
    return await service.revoke_certificate(
        request.app.state.database, certificate_id=certificate_id, command=body, actor=principal
    )


@router.get(
    "/verify/{code}",
    response_model=Verification,
    openapi_extra=PUBLIC,
    responses=problems(404, codes={404: ("verification_code_not_found",)}, generic=False),
)
async def verify_certificate(request: Request, code: CodePath) -> Verification:
    """Public, no token: whether the certificate bearing this verification code is valid, its
    title, level, enterprise and dates. Nothing personal; classified (涉密) enterprises' certificates
    are not shown (the same 404 as an unknown code)."""
    return await service.verify(request.app.state.database, code=code)
