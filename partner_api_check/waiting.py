"""Waiting for the server under test, so the kit can be started before it.

Any HTTP answer, even an error, means the server is up; only a refused or dropped connection
means it is not yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

POLL_SECONDS = 0.25
PROBE_TIMEOUT_SECONDS = 2.0


def answers(base_url: str) -> bool:
    """Whether something answers HTTP at ``base_url`` now."""
    try:
        requests.get(base_url.rstrip("/") + "/", timeout=PROBE_TIMEOUT_SECONDS)
    except requests.RequestException:
        return False
    return True


def wait_until_answering(base_url: str, timeout: float, *,
                         clock: Callable[[], float] = time.monotonic,
                         sleep: Callable[[float], None] = time.sleep) -> bool:
    """Poll ``base_url`` until it answers (True) or ``timeout`` seconds pass (False)."""
    deadline = clock() + timeout
    while not answers(base_url):
        if clock() >= deadline:
            return False
        sleep(POLL_SECONDS)
    return True
