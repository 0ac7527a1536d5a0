"""Create-time validation of a batch body, with the API's exact messages (spec §4).

Only the envelope is checked here (the `requests` list, each `custom_id`, that `params` is an
object); what is inside `params` is checked per row later, as the real API does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from batchdeck.emulator.catalog import DEFAULT_CATALOG, Catalog
from batchdeck.emulator.errors import ApiError, invalid_request
from batchdeck.emulator.plans import RequestPlan, plan_request

CUSTOM_ID_PATTERN = "^[a-zA-Z0-9_-]{1,64}$"
_CUSTOM_ID = re.compile(CUSTOM_ID_PATTERN)
MAX_REQUESTS = 100_000
MAX_BODY_BYTES = 256 * 1024 * 1024


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "request_too_large",
        f"Request exceeds the maximum allowed number of bytes. The maximum request size is {limit} bytes.",
    )


def _parse_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_request(f"The request body is not valid JSON: {exc}") from None


def _check_item(i: int, item: Any) -> tuple[str, dict[str, Any]]:
    where = f"requests.{i}"
    if not isinstance(item, dict):
        raise invalid_request(f"{where}: Input should be a valid dictionary")
    for key in item:
        if key not in ("custom_id", "params"):
            raise invalid_request(f"{where}.{key}: Extra inputs are not permitted")
    if "custom_id" not in item:
        raise invalid_request(f"{where}.custom_id: Field required")
    custom_id = item["custom_id"]
    if not isinstance(custom_id, str):
        raise invalid_request(f"{where}.custom_id: Input should be a valid string")
    if len(custom_id) > 64:
        raise invalid_request(f"{where}.custom_id: String should have at most 64 characters")
    if not custom_id:
        raise invalid_request(f"{where}.custom_id: String should have at least 1 character")
    if not _CUSTOM_ID.match(custom_id):
        raise invalid_request(f"{where}.custom_id: String should match pattern '{CUSTOM_ID_PATTERN}'")
    if "params" not in item:
        raise invalid_request(f"{where}.params: Field required")
    if not isinstance(item["params"], dict):
        raise invalid_request(f"{where}.params: Input should be a valid dictionary")
    return custom_id, item["params"]


def validate_create(
    body: bytes,
    api_version: str,
    max_requests: int = MAX_REQUESTS,
    catalog: Catalog = DEFAULT_CATALOG,
    now: float | None = None,
    betas: frozenset[str] = frozenset(),
) -> list[RequestPlan]:
    """Check a create body and return one plan per request, or raise the API's 400.

    `now` (the emulated clock) decides which models are retired; `betas` are the create's `anthropic-beta`s.
    """
    data = _parse_body(body)
    if not isinstance(data, dict):
        raise invalid_request("Input should be a valid dictionary")
    for key in data:
        if key != "requests":
            raise invalid_request(f"{key}: Extra inputs are not permitted")
    if "requests" not in data:
        raise invalid_request("requests: Field required")
    requests = data["requests"]
    if not isinstance(requests, list):
        raise invalid_request("requests: Input should be a valid list")
    if not requests:
        raise invalid_request("requests: List should have at least 1 item after validation, not 0")
    if len(requests) > max_requests:
        raise invalid_request(
            f"requests: List should have at most {max_requests} items after validation, not {len(requests)}"
        )
    checked = [_check_item(i, item) for i, item in enumerate(requests)]
    seen: set[str] = set()
    for custom_id, _ in checked:
        if custom_id in seen:
            raise invalid_request(
                f"requests: custom_id's must be unique within a batch. Duplicate custom_id found: {custom_id}"
            )
        seen.add(custom_id)
    return [plan_request(custom_id, params, api_version, catalog, now, betas) for custom_id, params in checked]
