"""What a failed call to Vercel means for its caller: gone, rejected or unreachable.

Every caller decides from `outcome_of` alone, so the three outcomes are told apart in one
place. GONE: what the call was about no longer exists at Vercel (an installation answers
410 at any time, and also 401/403/404 once it is uninstalled, §2.2, §7.14): there is
nobody to tell. REJECTED: Vercel refused the request itself (400, 422…): sending it again
will not help. UNREACHABLE: anything else (no answer, 5xx, a timeout, a conflict or a rate
limit): it may pass, so try again. Only an answer from Vercel (a `VercelApiError`, whose
`status` the caller may then read) is ever GONE or REJECTED.
"""

from __future__ import annotations

import enum
from collections.abc import Collection

from partner_api.vercel.errors import GONE_STATUSES, VercelApiError, VercelError

# The one status that says "gone" whatever the local state of the installation.
GONE_ANYTIME = frozenset({410})


class Outcome(enum.Enum):
    GONE = "gone"
    REJECTED = "rejected"
    UNREACHABLE = "unreachable"


def outcome_of(
    error: VercelError, *, uninstalled: bool, gone_anytime: Collection[int] = GONE_ANYTIME
) -> Outcome:
    """Classify `error`. `uninstalled`: the installation is uninstalled here, so every
    status of `GONE_STATUSES` means it is gone; otherwise only `gone_anytime` does (a
    caller whose 404 means a missing object, not a missing installation, says so here)."""
    if isinstance(error, VercelApiError):
        if error.status in gone_anytime or (uninstalled and error.status in GONE_STATUSES):
            return Outcome.GONE
        if error.rejected:
            return Outcome.REJECTED
    return Outcome.UNREACHABLE
