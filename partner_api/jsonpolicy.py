"""One JSON decoding policy for everything a request brings in as JSON.

Partner API bodies (webargs and `request.get_json`), signed webhook deliveries and the
`metadata` query are all decoded by `loads`, which refuses, with `RefusedJson` (a 400
envelope that is also a `ValueError`), what the standard decoder accepts but the rest of the
server cannot carry:
- text that is not UTF-8 (RFC 8259 §8.1; `json.loads` would let encoded surrogates through);
- nesting deeper than `MAX_DEPTH`, measured on the text before decoding and without
  recursion, so that neither the decoder nor what walks the value afterwards (marshmallow,
  the NUL check, the idempotency fingerprint) can exhaust the stack;
- integers outside the signed 64-bit range of the widest integer column, judged on their
  digits before any conversion;
- `NaN`, `Infinity` and numbers so large that they become infinite;
- lone surrogates (`"\\ud800"`) in values and keys alike: no database can encode them.

Text that is not JSON at all raises `json.JSONDecodeError`, as the standard decoder does.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider

from partner_api.errors import ApiError

MAX_DEPTH = 32  # the contract's bodies nest 3 levels, Vercel's webhook payloads about 5
MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)
_MAX_INTEGER_DIGITS = len(str(MIN_INTEGER))  # with its sign

# A string token; its closing quote is optional so an unterminated string is one match too,
# which keeps the scan linear however the quotes and backslashes are arranged.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
# Only an escape can bring a surrogate into text that was decoded as strict UTF-8.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Escaped pairs decode to one astral character, so a surrogate left in a value is alone.
_SURROGATE = re.compile("[\ud800-\udfff]")


class RefusedJson(ApiError, ValueError):
    """JSON the policy refuses; the message names the rule, never the offending text."""

    status = 400
    code = "invalid_json"


def loads(document: str | bytes) -> Any:
    text = _utf8(document)
    if not _nests_within(text, MAX_DEPTH):
        raise RefusedJson(f"The JSON nests deeper than {MAX_DEPTH} levels.")
    value = json.loads(
        text, parse_int=_integer, parse_float=_finite_float, parse_constant=_no_constant
    )
    if _SURROGATE_ESCAPE.search(text) and any(map(_SURROGATE.search, _strings(value))):
        raise RefusedJson("The JSON holds an unpaired UTF-16 surrogate escape.")
    return value


def _utf8(document: str | bytes) -> str:
    if isinstance(document, str):
        if _SURROGATE.search(document):
            raise RefusedJson("The JSON is not UTF-8.")
        return document
    try:
        return document.decode("utf-8")
    except UnicodeDecodeError:
        raise RefusedJson("The JSON is not UTF-8.") from None


def _nests_within(text: str, limit: int) -> bool:
    """Whether no container in `text` lies deeper than `limit`, outside strings.

    Without strings and everything but brackets (of either kind: depth ignores the kind,
    and the decoder refuses a mismatch), each pass that deletes every adjacent `[]` strips
    the innermost layer; what is left after `limit` passes lies deeper.
    """
    if text.count("[") + text.count("{") <= limit:
        return True
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    brackets = brackets.replace("{", "[").replace("}", "]")
    for _ in range(limit):
        if not brackets:
            return True
        brackets = brackets.replace("[]", "")
    return not brackets


def _integer(digits: str) -> int:
    value = int(digits) if len(digits) <= _MAX_INTEGER_DIGITS else None
    if value is None or not MIN_INTEGER <= value <= MAX_INTEGER:
        raise RefusedJson("The JSON holds an integer outside the signed 64-bit range.")
    return value


def _finite_float(digits: str) -> float:
    value = float(digits)
    if not math.isfinite(value):
        raise RefusedJson("The JSON holds a number too large to represent.")
    return value


def _no_constant(name: str) -> float:
    raise RefusedJson(f"The JSON holds {name}, which is not a number JSON allows.")


def _strings(value: Any):
    """Every string in `value`, keys included, walked without recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class PolicyJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, decoding by the policy (`request.get_json`, `flask.json`)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class PolicyRequest(Request):
    """A body `get_json` cannot decode is the envelope's 400, naming the policy's rule."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, RefusedJson):
            raise e
        raise RefusedJson("The request body is not valid JSON.") from e


def init_app(app: Flask) -> None:
    app.json = PolicyJSONProvider(app)
    app.request_class = PolicyRequest
