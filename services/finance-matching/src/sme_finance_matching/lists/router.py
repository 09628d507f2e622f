from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.middleware import Middleware

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.fast_route import FastGetRoute
from sme_common.openapi import PUBLIC
from sme_finance_matching.dependencies import (
    delta_reader,
    list_acknowledger,
    list_maker,
    list_reader,
)
from sme_finance_matching.lists import service
from sme_finance_matching.lists.domain import Format
from sme_finance_matching.lists.schemas import (
    ContentQuery,
    CursorRead,
    DeltaAck,
    DeltaPage,
    DeltaQuery,
    SigningKeys,
    SnapshotContent,
    SnapshotCreate,
    SnapshotFilters,
    SnapshotPage,
    SnapshotRead,
)
from sme_finance_matching.lists.signing import ListSigner, signer_for

router = APIRouter(prefix="/lists", tags=["lists"])

SnapshotId = Annotated[str, Path(pattern=r"^snap_[0-9a-f]{16}$")]
_CALLER = ("institution_client_unknown", "institution_client_required")
_BINARY = {"type": "string", "format": "binary"}
# The content's media types as a generated client meets them: the canonical NDJSON (the default,
# what the checksum covers) first, since a generator takes the first type it can read; JSON with
# its schema; CSV and XLSX as bytes.
_CONTENT = {
    service.MEDIA_TYPES[Format.NDJSON]: {"schema": _BINARY},
    service.MEDIA_TYPES[Format.JSON]: {"schema": {"$ref": "#/components/schemas/SnapshotContent"}},
    service.MEDIA_TYPES[Format.CSV]: {"schema": _BINARY},
    service.MEDIA_TYPES[Format.XLSX]: {"schema": _BINARY},
}


def _signer(request: Request) -> ListSigner:
    return signer_for(getattr(request.app.state.settings, "lists_signing_key_file", None))


# The delta routes first: matched in order, they are the busiest (every bank's polling).
@router.get(
    "/deltas",
    response_model=DeltaPage,
    responses=problems(codes={403: _CALLER, 422: ("cursor_invalid",)}),
)
async def list_list_deltas(
    request: Request,
    query: Annotated[DeltaQuery, Query()],
    principal: Annotated[Principal, Depends(delta_reader)],
) -> Response:
    """Changes after ``cursor`` (or the institution's acknowledged cursor): added, tier changed,
    renewed, expired, revoked. A revocation or expiry reaches every institution that received the
    enterprise, even once it is out of the institution's scope."""
    return await answer_delta_pull(request, query, principal)


async def answer_delta_pull(request: Request, query: DeltaQuery, principal: Principal) -> Response:
    """The delta route's answer, also given by ``DELTA_PULLS_SHORTCUT`` to the ordinary pulls
    before FastAPI's routing. The JSON the pull's statement joins from the changes rendered when
    they were recorded (the shape of DeltaPage, which documents it): no model per change on
    every bank's polling."""
    body = await service.pull_deltas(request.app.state.database, query=query, actor=principal)
    return Response(body, media_type="application/json")


# Every institution polls the deltas (issue 10: 100 pulling at once, p99 < 50 ms): their ordinary
# pulls are answered before FastAPI's routing and dependency solving, by the route's own pieces
# (sme_common.fast_route); the route above answers the rest and documents the operation.
DELTA_PULLS_SHORTCUT = Middleware(
    FastGetRoute,
    path="/api/finance-matching/v1/lists/deltas",
    requirement=delta_reader,
    query_model=DeltaQuery,
    endpoint=answer_delta_pull,
)


@router.post(
    "/deltas/ack",
    response_model=CursorRead,
    responses=problems(codes={403: _CALLER, 422: ("cursor_invalid", "cursor_ahead")}),
)
async def acknowledge_list_deltas(
    request: Request, body: DeltaAck, principal: Annotated[Principal, Depends(list_acknowledger)]
) -> CursorRead:
    """The institution applied the changes up to ``cursor``: its stored cursor moves there."""
    return await service.acknowledge_deltas(
        request.app.state.database, command=body, actor=principal
    )


@router.post(
    "/snapshots",
    status_code=201,
    response_model=SnapshotRead,
    responses=problems(
        404,
        409,
        codes={
            404: ("institution_not_found",),
            409: ("institution_not_active",),
            422: ("institution_id_required",),
            403: _CALLER,
        },
    ),
)
async def create_list_snapshot(
    request: Request, body: SnapshotCreate, principal: Annotated[Principal, Depends(list_maker)]
) -> SnapshotRead:
    """Make a list snapshot (名单快照) now: the certified enterprises in the institution's scope
    (its 市州 and tiers; valid certificates) and the credit-product catalogue, immutable, with a
    signed manifest. By an officer for an institution serving its region, or by the institution's
    own client (for itself)."""
    return await service.create_snapshot(
        request.app.state.database, command=body, actor=principal, signer=_signer(request)
    )


@router.get("/snapshots", response_model=SnapshotPage, responses=problems(codes={403: _CALLER}))
async def list_list_snapshots(
    request: Request,
    filters: Annotated[SnapshotFilters, Query()],
    principal: Annotated[Principal, Depends(list_reader)],
) -> SnapshotPage:
    """Snapshots, newest first: an institution's own, or those of the institutions an officer
    sees."""
    return await service.list_snapshots(
        request.app.state.database, filters=filters, actor=principal
    )


@router.get(
    "/snapshots/{snapshot_id}",
    response_model=SnapshotRead,
    responses=problems(404, codes={404: ("snapshot_not_found",), 403: _CALLER}),
)
async def get_list_snapshot(
    request: Request,
    snapshot_id: SnapshotId,
    principal: Annotated[Principal, Depends(list_reader)],
) -> SnapshotRead:
    """A snapshot's manifest (count, SHA-256 of the canonical NDJSON content, generated at,
    cursor) and its Ed25519 signature."""
    return await service.get_snapshot(
        request.app.state.database, snapshot_id=snapshot_id, actor=principal
    )


@router.get(
    "/snapshots/{snapshot_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The snapshot's content in the format asked for, streamed.",
            "model": SnapshotContent,
            "content": _CONTENT,
        },
        **problems(404, codes={404: ("snapshot_not_found",), 403: _CALLER}),
    },
)
async def read_list_snapshot(
    request: Request,
    snapshot_id: SnapshotId,
    query: Annotated[ContentQuery, Query()],
    principal: Annotated[Principal, Depends(list_reader)],
) -> StreamingResponse:
    """The snapshot's enterprises (and products) as ``ndjson`` (the canonical content the
    checksum covers), ``json``, ``csv`` (enterprises) or ``xlsx`` (sheets enterprises, products,
    manifest), streamed. Every read is logged."""
    database = request.app.state.database
    snapshot = await service.open_content(
        database, snapshot_id=snapshot_id, fmt=query.format, actor=principal
    )
    extension = query.format.value
    return StreamingResponse(
        service.content(database, snapshot, query.format),
        media_type=service.MEDIA_TYPES[query.format],
        headers={
            "Content-Disposition": f'attachment; filename="{snapshot.id}.{extension}"',
            "X-Content-SHA256": snapshot.content_sha256 if query.format is Format.NDJSON else "",
        },
    )


@router.post(
    "/snapshots/{snapshot_id}/ack",
    response_model=SnapshotRead,
    responses=problems(404, codes={404: ("snapshot_not_found",), 403: _CALLER}),
)
async def acknowledge_list_snapshot(
    request: Request,
    snapshot_id: SnapshotId,
    principal: Annotated[Principal, Depends(list_acknowledger)],
) -> SnapshotRead:
    """The institution received the snapshot: recorded once; its delta cursor moves to the
    snapshot's."""
    return await service.acknowledge_snapshot(
        request.app.state.database, snapshot_id=snapshot_id, actor=principal
    )


@router.get("/signing-keys", response_model=SigningKeys, openapi_extra=PUBLIC)
async def list_list_signing_keys(request: Request) -> SigningKeys:
    """The Ed25519 public keys (JWK, ``kty: OKP``) that verify list manifests: every key that ever
    signed one, and the current key. Public."""
    return await service.signing_keys(request.app.state.database, signer=_signer(request))
