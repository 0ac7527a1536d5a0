"""The `/v1/messages/batches` endpoints: routing, auth and version checks, and each operation."""

from __future__ import annotations

import re
from typing import Any

from batchdeck.emulator.catalog import DEFAULT_CATALOG, Catalog
from batchdeck.emulator.config import DEFAULT_WORKSPACE
from batchdeck.emulator.create import validate_create
from batchdeck.emulator.errors import ApiError, invalid_request, not_found
from batchdeck.emulator.http_types import Request, Response
from batchdeck.emulator.outcomes import Rates
from batchdeck.emulator.results import result_chunks
from batchdeck.emulator.store import DEFAULT_LIMIT, MAX_LIMIT, BatchStore

ROUTE = re.compile(r"^(?:.*?)/v1/messages/batches(?:/(?P<id>[^/]+)(?:/(?P<action>[^/]+))?)?/?$")
ENDPOINTS = {
    ("POST", False, None): "create",
    ("GET", False, None): "list",
    ("GET", True, None): "retrieve",
    ("POST", True, "cancel"): "cancel",
    ("DELETE", True, None): "delete",
    ("GET", True, "results"): "results",
}
ORGANIZATION_ID = "org_01emulator0000000000000"


def endpoint_of(method: str, path: str) -> tuple[str, str | None]:
    """(endpoint name, batch id) for a /v1 path; endpoint is "unknown" when nothing matches."""
    match = ROUTE.match(path)
    if match is None:
        return "unknown", None
    batch_id, action = match.group("id"), match.group("action")
    return ENDPOINTS.get((method, batch_id is not None, action), "unknown"), batch_id


def beta_names(headers: Any) -> frozenset[str]:
    """Every `anthropic-beta` named, whether comma-separated or in repeated headers."""
    values = headers.get_all("anthropic-beta") if hasattr(headers, "get_all") else [headers.get("anthropic-beta")]
    return frozenset(name.strip() for value in values or [] if value for name in value.split(",") if name.strip())


def authenticate(headers: Any, api_keys: dict[str, str] | None) -> str:
    """The workspace the request acts in, or the API's 401/400 (spec §1, §7)."""
    key = headers.get("x-api-key")
    if not key:
        auth = headers.get("authorization") or ""
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not key:
        raise ApiError(401, "authentication_error", "x-api-key header is required")
    if api_keys is not None and key not in api_keys:
        raise ApiError(401, "authentication_error", "API key is invalid.")
    if not headers.get("anthropic-version"):
        raise invalid_request("anthropic-version: header is required")
    bound = api_keys.get(key) if api_keys else None
    asked = headers.get("anthropic-workspace-id")
    if bound and asked and asked != bound:
        raise ApiError(403, "permission_error", f"This API key does not have access to workspace {asked}.")
    return asked or bound or DEFAULT_WORKSPACE


def _limit(query: dict[str, list[str]]) -> int:
    raw = query.get("limit", [str(DEFAULT_LIMIT)])[-1]
    try:
        limit = int(raw)
    except ValueError:
        raise invalid_request("limit: Input should be a valid integer, unable to parse string as an integer") from None
    if limit < 1:
        raise invalid_request("limit: Input should be greater than or equal to 1")
    if limit > MAX_LIMIT:
        raise invalid_request(f"limit: Input should be less than or equal to {MAX_LIMIT}")
    return limit


class BatchesApi:
    """Answers one authenticated request against the store."""

    def __init__(self, store: BatchStore, rates: Rates, max_requests: int, catalog: Catalog = DEFAULT_CATALOG) -> None:
        self.store = store
        self.catalog = catalog
        self.rates = rates
        self.max_requests = max_requests
        self.bodies: dict[str, bytes] | None = None  # batch id -> create body as received, when recording

    def handle(self, endpoint: str, batch_id: str | None, request: Request, workspace: str) -> Response:
        if endpoint == "unknown":
            raise not_found(f"Not found: {request.method} {request.path}")
        if endpoint == "create":
            version = request.headers.get("anthropic-version") or ""
            plans = validate_create(
                request.body,
                version,
                self.max_requests,
                self.catalog,
                self.store.clock.now(),
                beta_names(request.headers),
            )
            batch = self.store.create(plans, workspace, self.rates)
            if self.bodies is not None:
                self.bodies[batch.id] = bytes(request.body)
            return Response(200, self.store.snapshot(batch, request.base_url))
        if endpoint == "list":
            return self._list(request, workspace)
        assert batch_id is not None
        if endpoint == "retrieve":
            body = self.store.snapshot(self.store.get(batch_id, workspace), request.base_url)
            extra = {"retry-after": "10"} if body["processing_status"] != "ended" else {}
            return Response(200, body, extra)
        if endpoint == "cancel":
            return Response(200, self.store.snapshot(self.store.cancel(batch_id, workspace), request.base_url))
        if endpoint == "delete":
            self.store.delete(batch_id, workspace)
            return Response(200, {"id": batch_id, "type": "message_batch_deleted"})
        batch = self.store.for_results(batch_id, workspace)
        return Response(
            200,
            stream=result_chunks(batch),
            content_type="application/x-jsonl",
            headers={"content-disposition": f"attachment; filename*=utf-8''{batch_id}_results.jsonl"},
        )

    def _list(self, request: Request, workspace: str) -> Response:
        query = request.query
        after_id = query.get("after_id", [None])[-1] or None
        before_id = query.get("before_id", [None])[-1] or None
        page, has_more = self.store.list_page(workspace, _limit(query), after_id, before_id)
        data = [self.store.snapshot(b, request.base_url) for b in page]
        return Response(
            200,
            {
                "data": data,
                "has_more": has_more,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            },
        )
