"""The rules endpoints: list the moment rules, validate a rules file, switch a rule on or off.

- ``GET /v1/rules``: every rule (kind, priority, switch, actions, hold-out, cooldown) with what
  it fired since the server started, and the engine's clock, watermark and counters;
- ``POST /v1/rules/validate``: the body is the YAML text of a rules file; the answer lists
  every problem with its line, rule and field (``valid`` says whether there is none); the
  file in the workspace is not touched;
- ``POST /v1/rules/{name}/enable`` and ``/disable``: takes effect on the next record and is
  remembered across restarts (``live/rule_switches.json``); ``rules.yaml`` is not rewritten.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from journeylens.api.deps import ApiError, JsonResponse, get_service, require_key
from journeylens.realtime.service import LiveService

router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

#: The request body of ``/v1/rules/validate`` in the OpenAPI document (read raw, any type).
_YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {
                "schema": {"type": "string"},
                "example": "rules:\n  - name: calls\n    event: {channel: phone}\n",
            }
        },
    }
}


def _core(service: LiveService) -> Any:
    if service.core is None:
        raise ApiError(503, "engine_unavailable", "the moment engine is not running")
    return service.core


@router.get("/rules", tags=["rules"], summary="The moment rules and what they fired")
async def list_rules(service: LiveService = Depends(get_service)) -> JsonResponse:
    """Every rule with its switch and its firings since the server started."""
    core = _core(service)
    with service.lock:
        body = {
            "file": core.rules.source,
            "rules": core.engine.describe(),
            "engine": core.describe(),
        }
    return JsonResponse(body)


@router.post(
    "/rules/validate",
    tags=["rules"],
    summary="Check the YAML text of a rules file",
    openapi_extra=_YAML_BODY,
)
async def validate(request: Request, service: LiveService = Depends(get_service)) -> JsonResponse:
    """Every problem of the posted file, with line, rule, field and how to fix it."""
    from journeylens.realtime.rules.loader import check_rules_text, workspace_context

    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "not_utf8", "send the rules file as UTF-8 text") from exc
    ws = service.workspace
    context = workspace_context(ws.root, ws.config)
    result = check_rules_text(text, "rules.yaml (posted)", context)
    return JsonResponse(result.to_dict())


def _switch(service: LiveService, name: str, enabled: bool) -> JsonResponse:
    from journeylens.realtime.core import save_switch

    core = _core(service)
    with service.lock:
        if name not in core.rules:
            known = ", ".join(core.rules.names()) or "none"
            raise ApiError(404, "rule_not_found", f"no rule '{name}'; rules: {known}")
        core.rules.set_enabled(name, enabled)
        save_switch(service.workspace.root, name, enabled)
    return JsonResponse({"name": name, "enabled": enabled})


@router.post("/rules/{name}/enable", tags=["rules"], summary="Switch a rule on")
async def enable(name: str, service: LiveService = Depends(get_service)) -> JsonResponse:
    """The rule fires again from the next record on."""
    return _switch(service, name, True)


@router.post("/rules/{name}/disable", tags=["rules"], summary="Switch a rule off")
async def disable(name: str, service: LiveService = Depends(get_service)) -> JsonResponse:
    """The rule stops firing from the next record on (its windows are not updated while off)."""
    return _switch(service, name, False)
