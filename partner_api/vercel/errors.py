"""What can go wrong talking to Vercel. Messages never carry tokens or request bodies."""

from __future__ import annotations

import contextlib
from typing import Any

import requests

# What Vercel answers once an installation is finalized or deleted (§2.2, §7.14). A 404 can
# also mean a missing resource, so "gone" is only conclusive with the local state (`outcomes`).
GONE_STATUSES = frozenset({401, 403, 404, 410})
# Client errors that may pass on their own: timeouts, conflicts, rate limits.
TRANSIENT_CLIENT_STATUSES = frozenset({408, 409, 425, 429})
MAX_MESSAGE = 500


class VercelError(Exception):
    """Any failure of a call to Vercel's API."""


class VercelApiError(VercelError):
    """Vercel answered with a non-2xx status; `code`/`message` are from its error body."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        vercel_id: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.vercel_id = vercel_id
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"Vercel answered {self.status} to {self.method} {self.path}"
        if self.code:
            text += f" [{self.code}]"
        if self.message:
            text += f": {self.message}"
        if self.vercel_id:
            text += f" (x-vercel-id {self.vercel_id})"
        return text

    @property
    def rejected(self) -> bool:
        """Vercel refused the request itself (400, 422…): sending it again will not help."""
        return (
            400 <= self.status < 500
            and self.status not in GONE_STATUSES
            and self.status not in TRANSIENT_CLIENT_STATUSES
        )

    @classmethod
    def from_response(cls, method: str, path: str, response: requests.Response) -> VercelApiError:
        """Read Vercel's `{"error": {"code", "message"}}` body, tolerating any other body."""
        error: Any = None
        with contextlib.suppress(ValueError, AttributeError):  # not JSON, or not an object
            error = response.json().get("error")
        code = message = None
        if isinstance(error, dict):
            code = error.get("code") if isinstance(error.get("code"), str) else None
            if isinstance(error.get("message"), str):
                message = error["message"][:MAX_MESSAGE]
        return cls(
            method,
            path,
            response.status_code,
            code=code,
            message=message,
            vercel_id=response.headers.get("x-vercel-id"),
        )


class VercelUnreachable(VercelError):
    """No answer after the transport's retries: connection refused, reset or timed out."""

    def __init__(self, method: str, path: str, cause: Exception) -> None:
        super().__init__(f"Vercel did not answer {method} {path}: {type(cause).__name__}")


class UnexpectedResponse(VercelError):
    """A 2xx answer whose body is not what the contract describes."""

    def __init__(self, method: str, path: str, cause: Exception) -> None:
        super().__init__(
            f"Vercel's answer to {method} {path} is not the documented shape: "
            f"{type(cause).__name__}: {cause}"
        )


class UnknownInstallation(VercelError, LookupError):
    """No installation with this id is stored, so there is no token to call Vercel with."""
