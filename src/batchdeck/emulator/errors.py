"""API errors in the real envelope: `{"type":"error","error":{"type","message"},"request_id"}`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ApiError(Exception):
    """An HTTP error the emulator answers with, in the API's own shape."""

    status: int
    type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.type}: {self.message}"

    def envelope(self, request_id: str) -> dict[str, object]:
        return {
            "type": "error",
            "error": {"type": self.type, "message": self.message},
            "request_id": request_id,
        }


def invalid_request(message: str) -> ApiError:
    return ApiError(400, "invalid_request_error", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found_error", message)


def batch_not_found(batch_id: str) -> ApiError:
    return not_found(f"Message Batch {batch_id} not found.")


def no_results(batch_id: str) -> ApiError:
    return not_found(f"Message Batch {batch_id} has no available results.")
