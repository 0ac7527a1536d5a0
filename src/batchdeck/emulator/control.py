"""The `/_emulator/...` control surface (outside `/v1`), the HTTP twin of the `Emulator` handle.

GET  /_emulator/state          clock, speed, batch count, faults, rates, stats
GET  /_emulator/stats          request counts per endpoint and status
POST /_emulator/stats/reset
POST /_emulator/clock          {"advance": seconds} and/or {"speed": factor}
POST /_emulator/faults         {"rate_429": 0.2, ...}, {"queue": {"kind", "count", "endpoint"}}, {"clear": true}
POST /_emulator/rates          {"error_rate": 0.05, "expire_rate": 0.01} for batches created from now on
POST /_emulator/scenario       {"name": "demo"}
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from batchdeck.emulator.clock import rfc3339
from batchdeck.emulator.errors import ApiError, invalid_request, not_found
from batchdeck.emulator.http_types import Request, Response

if TYPE_CHECKING:
    from batchdeck.emulator.handle import Emulator


def _json_body(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise invalid_request(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise invalid_request("The request body must be a JSON object")
    return data


def state(emulator: Emulator) -> dict[str, Any]:
    return {
        "now": rfc3339(emulator.clock.now()),
        "speed": emulator.clock.speed,
        "batches": len(emulator.store.all_batches()),
        "rates": asdict(emulator.api.rates),
        "faults": asdict(emulator.faults.config),
        "stats": emulator.stats.as_dict(),
    }


def handle_control(emulator: Emulator, request: Request) -> Response:
    action = request.path.split("/_emulator/", 1)[1].strip("/")
    try:
        return _dispatch(emulator, request.method, action, _json_body(request))
    except (TypeError, ValueError) as exc:
        raise invalid_request(str(exc)) from None


def _dispatch(emulator: Emulator, method: str, action: str, body: dict[str, Any]) -> Response:
    if method == "GET" and action == "state":
        return Response(200, state(emulator))
    if method == "GET" and action == "stats":
        return Response(200, emulator.stats.as_dict())
    if method != "POST":
        raise not_found(f"Not found: {method} /_emulator/{action}")
    if action == "stats/reset":
        emulator.stats.reset()
    elif action == "clock":
        if "speed" in body:
            emulator.clock.set_speed(float(body["speed"]))
        if "advance" in body:
            emulator.advance(float(body["advance"]))
    elif action == "faults":
        _faults(emulator, body)
    elif action == "rates":
        emulator.set_rates(**body)
    elif action == "scenario":
        emulator.seed(str(body.get("name", "")))
    else:
        raise ApiError(404, "not_found_error", f"Not found: POST /_emulator/{action}")
    return Response(200, state(emulator))


def _faults(emulator: Emulator, body: dict[str, Any]) -> None:
    if body.pop("clear", False):
        emulator.faults.clear()
    queued = body.pop("queue", None)
    if queued is not None:
        emulator.faults.queue(str(queued["kind"]), int(queued.get("count", 1)), queued.get("endpoint"))
    if body:
        emulator.faults.set(**body)
