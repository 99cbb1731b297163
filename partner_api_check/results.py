"""Checks and their results: each check passes, fails, warns or is skipped, with a reason.

Every check rests on a `Rule`: *required* rules are stated in Vercel's documentation (the rule
cites the page), *recommended* ones are hardening beyond it (the rule says why). Breaking a
required rule fails the check; breaking a recommended one, or answering in a way the docs allow
but do not list (a *finding*), only warns. So a FAIL always points at a documented rule.
"""

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
    WARN = "warn"
    SKIP = "skip"


class Level(enum.StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"


@dataclass(frozen=True)
class Rule:
    """What a check rests on: a documented rule (``basis`` is the docs URL) or a
    recommendation (``basis`` is the reason it goes beyond the docs)."""

    level: Level
    basis: str

    def as_dict(self) -> dict[str, str]:
        key = "docs" if self.level is Level.REQUIRED else "rationale"
        return {"level": str(self.level), key: self.basis}

    @property
    def broken(self) -> Outcome:
        """The outcome of a check whose rule is not met."""
        return Outcome.FAIL if self.level is Level.REQUIRED else Outcome.WARN


def required(docs_url: str) -> Rule:
    return Rule(Level.REQUIRED, docs_url)


def recommended(reason: str) -> Rule:
    return Rule(Level.RECOMMENDED, reason)


@dataclass(frozen=True)
class CheckResult:
    group: str
    name: str
    outcome: Outcome
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    rule: Rule | None = None

    def as_dict(self) -> dict[str, Any]:
        fields = {key: value for key, value in asdict(self).items() if key != "rule"}
        return {**fields, "outcome": str(self.outcome),
                **(self.rule.as_dict() if self.rule else {})}


class CheckFailed(Exception):
    """Ends a check as failed (or warned, if its rule is only recommended); the message is
    the reason shown to the user."""


class CheckSkipped(Exception):
    """Ends a check as skipped; the message says why."""


class Check:
    """A running check: makes calls, states expectations, collects notes."""

    def __init__(self, target: Target, rule: Rule | None = None) -> None:
        self.target = target
        self.rule = rule
        self.notes: list[str] = []
        self.findings: list[str] = []
        self.calls: list[dict[str, Any]] = []

    def call(self, method: str, path: str, **options: Any) -> Reply:
        """Call the target and keep a trace of the call (never its headers) for the report."""
        return self.trace(self.target.request(method, path, **options))

    def trace(self, reply: Reply) -> Reply:
        """Keep ``reply`` (of a call made outside `call`, e.g. racing ones) in the trace."""
        self.calls.append({"method": reply.method, "path": reply.path, "status": reply.status,
                           "excerpt": reply.excerpt()})
        return reply

    def note(self, text: str) -> None:
        self.notes.append(text)

    def finding(self, text: str) -> None:
        """Something the docs do not forbid but we advise against: the check goes on, and
        ends as a warning if nothing worse happens."""
        self.findings.append(text)

    @staticmethod
    def fail(reason: str) -> NoReturn:
        raise CheckFailed(reason)

    @staticmethod
    def skip(reason: str) -> NoReturn:
        raise CheckSkipped(reason)

    def expect_status(self, reply: Reply, *documented: int) -> None:
        """``reply`` has one of the ``documented`` statuses. Another 2xx where a success is
        documented is a finding, not a failure: Vercel's docs name one success status per
        endpoint but nowhere say another success is refused."""
        if reply.status in documented:
            return
        wanted = "/".join(str(status) for status in documented)
        if reply.ok and any(200 <= status < 300 for status in documented):
            self.finding(f"{reply.method} {reply.path}: answered {reply.status}; "
                         f"the docs list {wanted}")
            return
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
    def check(self, group: str, name: str, rule: Rule) -> Iterator[Check]:
        """Run the body as check ``group``/``name`` resting on ``rule``; it passes unless it
        fails (a warning if ``rule`` is recommended), skips or records findings (a warning).

        Any other exception (the server closed the connection, answered nonsense the check
        could not read, …) fails the check, so one bad answer never ends the run.
        """
        check = Check(self.target, rule)
        outcome, reason = Outcome.PASS, ""
        try:
            yield check
        except CheckFailed as failure:
            outcome, reason = check.rule.broken, str(failure)
        except CheckSkipped as skipped:
            outcome, reason = Outcome.SKIP, str(skipped)
        except Exception as error:
            outcome, reason = Outcome.FAIL, f"{type(error).__name__}: {error}"
        if outcome is Outcome.PASS and check.findings:
            outcome, reason = Outcome.WARN, "; ".join(check.findings)
        elif outcome is Outcome.PASS:
            reason = "; ".join(check.notes) or _statuses(check.calls)
        details: dict[str, Any] = {"calls": check.calls} if check.calls else {}
        if check.notes and outcome is not Outcome.PASS:
            details["notes"] = check.notes
        if check.findings and reason != "; ".join(check.findings):
            details["findings"] = check.findings
        self.results.append(CheckResult(group, name, outcome, reason, details,
                                        check.rule))

    def skip(self, group: str, name: str, reason: str, rule: Rule | None = None) -> None:
        self.results.append(CheckResult(group, name, Outcome.SKIP, reason, rule=rule))

    def fail(self, group: str, name: str, reason: str) -> None:
        """A failure outside any one check's rule (the server stopped answering)."""
        self.results.append(CheckResult(group, name, Outcome.FAIL, reason))


def needs(group: str, name: str) -> str:
    """The reason of a skip caused by check ``group``/``name`` (it failed or was skipped)."""
    return f"needs '{group} / {name}'"


def _statuses(calls: list[dict[str, Any]]) -> str:
    statuses = [str(call["status"]) for call in calls]
    if len(statuses) > 4:
        statuses = [*statuses[:4], "…"]
    return ", ".join(statuses)
