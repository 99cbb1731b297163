"""The dashboard's form fields, checked; a bad value is a 400 page naming the field."""

from __future__ import annotations

import math
from collections.abc import Mapping

from partner_api.errors import FieldError, ValidationFailed
from partner_api.resources.schemas import MAX_DELAY_HOURS

MAX_COMMAND_LENGTH = 4096
DEFAULT_DELAY_HOURS = 24.0


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields=[FieldError(field, message)])


def delay_hours(form: Mapping[str, str]) -> float:
    """How long old secrets stay valid: 0 to 720 hours, fractions allowed."""
    raw = form.get("delay_hours", "").strip()
    if not raw:
        return DEFAULT_DELAY_HOURS
    try:
        hours = float(raw)
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours) or not 0 <= hours <= MAX_DELAY_HOURS:
        raise _refuse("delay_hours", f"Give the hours as a number from 0 to {MAX_DELAY_HOURS}.")
    return hours


def command(form: Mapping[str, str]) -> str:
    text = form.get("command", "")
    if not text.strip():
        raise _refuse("command", "Type a command.")
    if len(text) > MAX_COMMAND_LENGTH:
        raise _refuse("command", f"A command has at most {MAX_COMMAND_LENGTH} characters.")
    return text


def checked(form: Mapping[str, str], name: str) -> bool:
    return form.get(name) == "on"
