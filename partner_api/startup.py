"""How a process of this server ends on a cause it knows: one line that names it.

A database that cannot be reached (`dboutage.is_unreachable`) ends `flask db upgrade` (the
release step), a CLI command or a preloading gunicorn with one line on stderr naming
`DATABASE_URL` and the driver's own first line (host and port, never a password), not a
traceback. Any other uncaught exception
keeps Python's default report: it is a bug to be read in full.
"""

from __future__ import annotations

import sys
from types import TracebackType

from partner_api.dboutage import describe, is_unreachable


def _report(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if is_unreachable(error):
        print(
            f"partner-api: the database of DATABASE_URL cannot be reached: {describe(error)}",
            file=sys.stderr,
        )
        return
    sys.__excepthook__(kind, error, trace)


def install_excepthook() -> None:
    """Make `_report` the process's last word on an uncaught exception (idempotent)."""
    sys.excepthook = _report
