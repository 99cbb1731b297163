"""Who may call a Partner API endpoint, declared next to the route (§2.1.5, §2.1.6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

F = TypeVar("F", bound=Callable)

POLICY_ATTRIBUTE = "_partner_auth_policy"


class Binding(Enum):
    """How the token's installation relates to the URL's."""

    PATH = "path"  # the path's installation id must equal the token's
    NONE = "none"  # no installation in the path (product plans)
    TARGET = "target"  # transfer verify/accept: the path names the target installation


@dataclass(frozen=True)
class Policy:
    kinds: frozenset[str]
    mutation: bool
    binding: Binding = Binding.PATH

    @property
    def require_account(self) -> bool:
        # Product plans may be listed before any installation or account exists (§3.4.11).
        return self.binding is not Binding.NONE


def auth_policy(
    *kinds: str, mutation: bool = False, binding: Binding = Binding.PATH
) -> Callable[[F], F]:
    """Declare the auth kinds an endpoint accepts and whether it changes state.

    Mutations made with a user token require the `ADMIN` role.
    """
    if not kinds or not set(kinds) <= {"user", "system"}:
        raise ValueError(f"auth kinds must be 'user' and/or 'system', got {kinds!r}")
    policy = Policy(frozenset(kinds), mutation, binding)

    def mark(view: F) -> F:
        setattr(view, POLICY_ATTRIBUTE, policy)
        return view

    return mark


def policy_of(view_function: Callable, method: str) -> Policy | None:
    """The policy of a plain view, or of the method handler of a MethodView.

    A HEAD request runs a MethodView's `get` when it has no `head` (Flask's dispatch), so it
    is held to the same policy: same authentication, no body.
    """
    view_class = getattr(view_function, "view_class", None)
    if not view_class:
        return getattr(view_function, POLICY_ATTRIBUTE, None)
    handler = getattr(view_class, method.lower(), None)
    if handler is None and method.upper() == "HEAD":
        handler = getattr(view_class, "get", None)
    return getattr(handler, POLICY_ATTRIBUTE, None)
