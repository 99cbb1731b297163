"""What a running server says about its cluster's exposure (see `exposure`).

One finding per app, computed lazily and kept for `FINDING_LIFETIME`: `/readyz` is public and
polled by the router, so no poll in between reaches the cluster, and concurrent polls wait for
the one that asks. The finding names the exposed databases, or says why it could not: the
cluster did not answer, or the check failed (named by its error class only: no DSN, no server
message). An exposure is a warning, never unreadiness.

Polls log nothing of their own. The start-up check logs one line: a WARNING naming the
exposed databases and the command that closes them, a WARNING when the check failed, or INFO
when there are none or the cluster did not answer (`Cluster` has already logged its own
WARNING then). It runs when a serving process starts, not in `create_app()`: tests and CLI
commands build many apps, and a server must start while its cluster is down.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic
from typing import Any

import psycopg
from flask import Flask

from partner_api.providers.base import ProviderError
from partner_api.providers.postgres.cluster import Cluster
from partner_api.providers.postgres.exposure import exposed_databases

log = logging.getLogger(__name__)

FINDING_LIFETIME = timedelta(minutes=5)
CLOSING_COMMAND = "flask --app wsgi postgres-provider revoke-public-connect"
_EXTENSION = "partner_api.postgres_exposure"


UNREACHABLE = "the cluster did not answer"


@dataclass(frozen=True)
class Finding:
    """The exposed databases, or (`exposed` None) why they are not known."""

    found_at: float
    exposed: tuple[str, ...] | None = None
    unknown_because: str | None = None

    def detail(self) -> dict[str, Any]:
        if self.exposed is None:
            return {"public_connect": None, "unknown_because": self.unknown_because}
        return {"public_connect": list(self.exposed)}


class ExposureWatch:
    """The cached finding of one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._lock = threading.Lock()
        self._finding: Finding | None = None

    def finding(self) -> Finding:
        with self._lock:
            finding = self._finding
            if (
                finding is None
                or monotonic() - finding.found_at >= FINDING_LIFETIME.total_seconds()
            ):
                finding = self._finding = self._ask()
            return finding

    def _ask(self) -> Finding:
        try:
            with self._cluster.admin() as connection:
                return Finding(monotonic(), exposed=tuple(exposed_databases(connection)))
        except ProviderError:
            return Finding(monotonic(), unknown_because=UNREACHABLE)
        except psycopg.Error as error:
            failure = f"the check failed ({type(error).__name__})"
            return Finding(monotonic(), unknown_because=failure)


def watch_of(app: Flask) -> ExposureWatch:
    """The app's watch, made on first use (`setdefault`: two threads keep the same one)."""
    watch = app.extensions.get(_EXTENSION)
    if watch is None:
        cluster = Cluster(app.config["POSTGRES_PROVIDER_ADMIN_URL"])
        watch = app.extensions.setdefault(_EXTENSION, ExposureWatch(cluster))
    return watch


def readiness_detail(app: Flask) -> dict[str, Any]:
    return watch_of(app).finding().detail()


def check_at_start(app: Flask) -> None:
    finding = watch_of(app).finding()
    exposed = finding.exposed
    if exposed is None:
        level = logging.INFO if finding.unknown_because == UNREACHABLE else logging.WARNING
        log.log(level, "postgres provider: exposure unknown: %s", finding.unknown_because)
    elif exposed:
        log.warning(
            "postgres provider: every tenant login role can connect to these databases, "
            "whose CONNECT is granted to PUBLIC: %s; close them with `%s`",
            ", ".join(exposed),
            CLOSING_COMMAND,
        )
    else:
        log.info("postgres provider: no database grants CONNECT to PUBLIC")
