"""Calls to Vercel counted by client operation and outcome, never by path or id.

The operation is the name of the `VercelClient` method (`get_account`, `submit_invoice`…),
a fixed set; the outcome is `ok`, the status class of Vercel's answer (`4xx`, `5xx`),
`unreachable` (no answer after the transport's retries), `unexpected_response` (an answer
that is not what the contract says) or `error` (the call failed before it was sent).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from partner_api.metrics import VERCEL_CALLS
from partner_api.vercel.errors import UnexpectedResponse, VercelApiError, VercelUnreachable

P = ParamSpec("P")
R = TypeVar("R")


def outcome_of(error: Exception) -> str:
    if isinstance(error, VercelApiError):
        return f"{error.status // 100}xx"
    if isinstance(error, VercelUnreachable):
        return "unreachable"
    if isinstance(error, UnexpectedResponse):
        return "unexpected_response"
    return "error"


def metered(operation: Callable[P, R]) -> Callable[P, R]:
    """Count every call of the client method `operation` under its own name."""
    name = operation.__name__

    @functools.wraps(operation)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = operation(*args, **kwargs)
        except Exception as error:
            VERCEL_CALLS.labels(name, outcome_of(error)).inc()
            raise
        VERCEL_CALLS.labels(name, "ok").inc()
        return result

    return call
