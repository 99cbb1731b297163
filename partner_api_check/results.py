"""Checks and their results: each check passes, fails or is skipped, with a reason."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, NoReturn

from partner_api_check import schemas
from partner_api_check.target import Reply, Target


class Outcome(enum.StrEnum):
    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    group: str
    name: str
    outcome: Outcome
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": str(self.outcome)}


class CheckFailed(Exception):
    """Ends a check as failed; the message is the reason shown to the user."""


class CheckSkipped(Exception):
    """Ends a check as skipped; the message says why."""


class Check:
    """A running check: makes calls, states expectations, collects notes."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.notes: list[str] = []
        self.calls: list[dict[str, Any]] = []

    def call(self, method: str, path: str, **options: Any) -> Reply:
        """Call the target and keep a trace of the call (never its headers) for the report."""
        reply = self.target.request(method, path, **options)
        self.calls.append({"method": method, "path": path, "status": reply.status,
                           "excerpt": reply.excerpt()})
        return reply

    def note(self, text: str) -> None:
        self.notes.append(text)

    @staticmethod
    def fail(reason: str) -> NoReturn:
        raise CheckFailed(reason)

    @staticmethod
    def skip(reason: str) -> NoReturn:
        raise CheckSkipped(reason)

    def expect_status(self, reply: Reply, *allowed: int) -> None:
        if reply.status not in allowed:
            wanted = "/".join(str(status) for status in allowed)
            got = reply.status if reply.ok else reply.summary()  # a success's body says little
            self.fail(f"{reply.method} {reply.path}: expected {wanted}, got {got}")

    def expect_schema(self, reply: Reply, schema: str) -> Any:
        """The reply's JSON body, which must fit ``schema``."""
        body = reply.json
        found = schemas.problems(schema, body)
        if found:
            shown = "; ".join(found[:3]) + ("; …" if len(found) > 3 else "")
            self.fail(f"{reply.method} {reply.path}: body is not a {schema} ({shown})")
        return body

    def expect_envelope(self, reply: Reply, schema: str = "Error") -> None:
        if schemas.problems(schema, reply.json):
            what = "error envelope with fields" if schema == "ValidationError" else "error envelope"
            self.fail(f"{reply.method} {reply.path}: {reply.status} without the {what} "
                      f"(§3.1): {reply.excerpt() or 'empty body'}")


class Run:
    """Runs checks and keeps their results in order."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.results: list[CheckResult] = []

    @contextmanager
    def check(self, group: str, name: str) -> Iterator[Check]:
        """Run the body as check ``group``/``name``; it passes unless it fails or skips.

        Any other exception (the server closed the connection, answered nonsense the check
        could not read, …) fails the check, so one bad answer never ends the run.
        """
        check = Check(self.target)
        outcome, reason = Outcome.PASS, ""
        try:
            yield check
        except CheckFailed as failure:
            outcome, reason = Outcome.FAIL, str(failure)
        except CheckSkipped as skipped:
            outcome, reason = Outcome.SKIP, str(skipped)
        except Exception as error:
            outcome, reason = Outcome.FAIL, f"{type(error).__name__}: {error}"
        if outcome is Outcome.PASS:
            reason = "; ".join(check.notes) or _statuses(check.calls)
        details = {"calls": check.calls} if check.calls else {}
        if check.notes and outcome is not Outcome.PASS:
            details["notes"] = check.notes
        self.results.append(CheckResult(group, name, outcome, reason, details))

    def skip(self, group: str, name: str, reason: str) -> None:
        self.results.append(CheckResult(group, name, Outcome.SKIP, reason))

    def fail(self, group: str, name: str, reason: str) -> None:
        self.results.append(CheckResult(group, name, Outcome.FAIL, reason))


def _statuses(calls: list[dict[str, Any]]) -> str:
    statuses = [str(call["status"]) for call in calls]
    if len(statuses) > 4:
        statuses = [*statuses[:4], "…"]
    return ", ".join(statuses)
