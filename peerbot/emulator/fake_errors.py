"""Bot API error envelopes, as Telegram returns them, for the fake server."""

from __future__ import annotations

from typing import Any

STATUS_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """A failed Bot API call: HTTP status == error_code, plus a Telegram-style description."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram would send for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 with Telegram's "Bad Request: ..." prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """403 with Telegram's "Forbidden: ..." prefix."""
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 flood-control error carrying parameters.retry_after."""
    retry_after = max(1, int(retry_after))
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def error_for_status(
    status: int, retry_after: int = 3, description: str | None = None
) -> ApiError:
    """An injected failure for a status code (429 gets retry_after, others a stock text)."""
    if status == 429 and description is None:
        return too_many_requests(retry_after)
    text = description or STATUS_DESCRIPTIONS.get(status, f"Error {status}")
    params = {"retry_after": retry_after} if status == 429 else None
    return ApiError(status, text, params)
