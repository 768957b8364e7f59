"""``GET /v1/customers/{identifier}/context``: what an agent sees when the customer calls.

The identifier is any identifier of the customer (customer id, account, e-mail, phone, device
or cookie id; bare or typed as ``email:ann@example.com``) or the customer key. Values the
workspace hashes are hashed before the lookup. The answer is built from memory (the built
history loaded at start plus the live records), see `journeylens.realtime.context`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from journeylens.api.deps import ApiError, JsonResponse, get_service, require_key
from journeylens.realtime.service import CustomerNotFoundError, LiveService

router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


@router.get(
    "/customers/{identifier:path}/context",
    tags=["customers"],
    summary="The context of a customer at the moment of contact",
    responses={404: {"description": "No customer has this identifier."}},
)
async def context(
    identifier: str,
    limit: int = Query(20, ge=1, le=200, description="Timeline entries, newest first."),
    service: LiveService = Depends(get_service),
) -> JsonResponse:
    """The customer (all identifiers), recent cross-channel timeline, open journeys with their
    stage against the designed map, what happened before (last contacts, journeys, feedback),
    active moments; and the predicted next step and recommended action when a prediction model
    exists (otherwise ``prediction`` is absent)."""
    try:
        found = service.context(identifier, limit=limit)
    except CustomerNotFoundError as exc:
        raise ApiError(404, "customer_not_found", str(exc)) from exc
    return JsonResponse(found.to_dict())
